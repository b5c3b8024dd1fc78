# tests/device.cmake: firmware run in the simulators (included by tests/CMakeLists.txt).
#
# device_calibration_<target>: examples/firmware/cal_main.c on the simulated chip. Its
#   hand-written instruction sequences must take exactly the cycles the ATmega328P datasheet
#   gives (simavr) or the instructions and Cortex-M0+ TRM cycles the plugin should count (QEMU);
#   the simulator's stack peak must equal the firmware's own stack painting; the kernel's output
#   must equal the host build's; flash and RAM must fit 32 KB / 2 KB.
if(NOT KML_DEVICE_TARGETS)
  return()
endif()

set(_fw ${CMAKE_SOURCE_DIR}/examples/firmware)
add_executable(fw_cal_host ${_fw}/cal_main.c ${_fw}/board_host.c ${_fw}/out.c)
target_include_directories(fw_cal_host PRIVATE ${_fw})

# Datasheet (AVR, cycles) and TRM (M0+, instructions/cycles) figures of cal_main.c's regions.
set(KML_CAL_EXPECT_atmega328p "3=100;5=3;7=2;9=9;11=10;13=2;15=30")
set(KML_CAL_EXPECT_cortex-m0plus "3=100/100;5=21/30;7=2/4;9=2/10;11=3/7;13=3/3;15=2/3;17=4/11")

foreach(t ${KML_DEVICE_TARGETS})
  if(t STREQUAL "atmega328p")
    kml_firmware_project(${t} avr-gcc.cmake)
    set(_sim -DSIMAVR_RUN=$<TARGET_FILE:simavr_run> -DSIZE=${KML_AVR_SIZE})
  else()
    kml_firmware_project(${t} arm-none-eabi.cmake -DARM_CPU=cortex-m0plus)
    set(_sim -DQEMU=${KML_QEMU_ARM} -DPLUGIN=$<TARGET_FILE:kml_qemu_insn> -DNM=${KML_ARM_NM}
             -DSIZE=${KML_ARM_SIZE})
  endif()
  add_test(NAME device_calibration_${t}
           COMMAND ${CMAKE_COMMAND} -DDEVICE=${t} -DELF=${KML_FIRMWARE_DIR}/${t}/fw_cal.elf
                   -DHOST_REF=$<TARGET_FILE:fw_cal_host> ${_sim}
                   "-DEXPECT=${KML_CAL_EXPECT_${t}}" -DCHECK_PAINT=ON
                   -DREPORT=${KML_FIRMWARE_DIR}/${t}/report_calibration.txt
                   -P ${CMAKE_SOURCE_DIR}/cmake/run_sim.cmake)
  set_tests_properties(device_calibration_${t} PROPERTIES TIMEOUT 120 LABELS device)
endforeach()
