# cmake/firmware.cmake: the simulators' host tools and the firmware superbuild.
#
# Host tools (always, when their dependency is there):
#   simavr_run       tools/simavr_run.c linked with libsimavr (ATmega328P runs, exact cycles)
#   kml_qemu_insn    tools/qemu_insn_plugin.c, a QEMU 7.2 TCG plugin (Cortex-M0+ instruction
#                    counts, cycle estimate, stack peak)
# With KML_DEVICE_TESTS (default ON) and the cross compilers found, one ExternalProject per
# target builds examples/firmware with cmake/avr-gcc.cmake or cmake/arm-none-eabi.cmake:
#   fw_atmega328p      -> ${KML_FIRMWARE_DIR}/atmega328p/fw_cal.elf
#   fw_cortex-m0plus   -> ${KML_FIRMWARE_DIR}/cortex-m0plus/fw_cal.elf
#   fw_<target>_<model> -> ${KML_FIRMWARE_DIR}/<target>_<model>/fw_model_<i>.elf
# tests/device.cmake adds the ctest cases that run them (cmake/run_sim.cmake).
include(ExternalProject)

find_program(KML_AVR_GCC avr-gcc)
find_program(KML_AVR_SIZE avr-size)
find_program(KML_AVR_NM avr-nm)
find_program(KML_ARM_GCC arm-none-eabi-gcc)
find_program(KML_ARM_SIZE arm-none-eabi-size)
find_program(KML_ARM_NM arm-none-eabi-nm)
find_program(KML_QEMU_ARM qemu-system-arm)
find_library(KML_SIMAVR_LIBRARY simavr)
find_path(KML_SIMAVR_INCLUDE_DIR simavr/sim_avr.h)
set(KML_FIRMWARE_DIR ${CMAKE_BINARY_DIR}/firmware)

# The host tools never carry the sanitizers: the plugin is loaded into an uninstrumented QEMU,
# and libsimavr's own allocations are not ours to check.
set(_kml_nosan -fno-sanitize=all)

message(STATUS "kiloml device targets:")
set(KML_HAVE_AVR OFF)
set(KML_HAVE_ARM OFF)
if(KML_SIMAVR_LIBRARY AND KML_SIMAVR_INCLUDE_DIR)
  add_executable(simavr_run ${CMAKE_SOURCE_DIR}/tools/simavr_run.c)
  target_include_directories(simavr_run PRIVATE ${KML_SIMAVR_INCLUDE_DIR})
  target_link_libraries(simavr_run PRIVATE ${KML_SIMAVR_LIBRARY})
  target_compile_options(simavr_run PRIVATE ${_kml_nosan})
  target_link_options(simavr_run PRIVATE ${_kml_nosan})
  if(KML_AVR_GCC AND KML_AVR_SIZE AND KML_AVR_NM)
    set(KML_HAVE_AVR ON)
  endif()
endif()
add_library(kml_qemu_insn MODULE ${CMAKE_SOURCE_DIR}/tools/qemu_insn_plugin.c)
set_target_properties(kml_qemu_insn PROPERTIES C_VISIBILITY_PRESET hidden PREFIX lib)
target_compile_options(kml_qemu_insn PRIVATE ${_kml_nosan})
target_link_options(kml_qemu_insn PRIVATE ${_kml_nosan})
# random test models (through the header generator) and test windows for the device tests
add_executable(kml_devgen ${CMAKE_SOURCE_DIR}/tools/kml_devgen.c)
target_link_libraries(kml_devgen PRIVATE kml_export)
if(KML_ARM_GCC AND KML_ARM_SIZE AND KML_ARM_NM AND KML_QEMU_ARM)
  set(KML_HAVE_ARM ON)
endif()

if(KML_HAVE_AVR)
  message(STATUS "  found      atmega328p:    ${KML_AVR_GCC}, libsimavr ${KML_SIMAVR_LIBRARY}")
else()
  message(STATUS "  NOT FOUND  atmega328p:    needs avr-gcc, avr-size, avr-nm and libsimavr "
                 "(apt-get install gcc-avr avr-libc simavr libsimavr-dev)")
endif()
if(KML_HAVE_ARM)
  message(STATUS "  found      cortex-m0plus: ${KML_ARM_GCC}, ${KML_QEMU_ARM}")
else()
  message(STATUS "  NOT FOUND  cortex-m0plus: needs arm-none-eabi-gcc/size/nm and qemu-system-arm "
                 "(apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)")
endif()

# kml_firmware_project(<name> <toolchain file> [DEPENDS targets...] [ARGS -D...]): cross
# build of examples/firmware into ${KML_FIRMWARE_DIR}/<name>, rebuilt on every build (quick).
function(kml_firmware_project name toolchain)
  cmake_parse_arguments(FW "" "" "DEPENDS;ARGS" ${ARGN})
  set(_deps "")
  if(FW_DEPENDS)
    set(_deps DEPENDS ${FW_DEPENDS})
  endif()
  ExternalProject_Add(fw_${name}
    SOURCE_DIR ${CMAKE_SOURCE_DIR}/examples/firmware
    BINARY_DIR ${KML_FIRMWARE_DIR}/${name}
    ${_deps}
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/${toolchain}
               -DCMAKE_BUILD_TYPE=MinSizeRel ${FW_ARGS}
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD OFF)
endfunction()

set(KML_DEVICE_TARGETS "")
if(KML_DEVICE_TESTS)
  if(KML_HAVE_AVR)
    list(APPEND KML_DEVICE_TARGETS atmega328p)
  endif()
  if(KML_HAVE_ARM)
    list(APPEND KML_DEVICE_TARGETS cortex-m0plus)
  endif()
  if(NOT KML_DEVICE_TARGETS)
    message(STATUS "  KML_DEVICE_TESTS is ON but no device target is usable: device tests are skipped")
  endif()
else()
  message(STATUS "  KML_DEVICE_TESTS=OFF: no firmware build, no device tests")
endif()

# `kiloml export --measure` (export/src/measure.c) runs these; their paths are fixed here.
if(TARGET kml_export AND EXISTS ${CMAKE_SOURCE_DIR}/export/src/measure.c)
  macro(_kml_path var value)
    if(${value})
      target_compile_definitions(kml_export PRIVATE ${var}="${${value}}")
    endif()
  endmacro()
  target_compile_definitions(kml_export PRIVATE KML_MEASURE_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
      KML_MEASURE_CMAKE="${CMAKE_COMMAND}" KML_MEASURE_HOST_CC="${CMAKE_C_COMPILER}"
      KML_MEASURE_PLUGIN="$<TARGET_FILE:kml_qemu_insn>")
  _kml_path(KML_MEASURE_AVR_GCC KML_AVR_GCC)
  _kml_path(KML_MEASURE_AVR_SIZE KML_AVR_SIZE)
  _kml_path(KML_MEASURE_AVR_NM KML_AVR_NM)
  _kml_path(KML_MEASURE_ARM_GCC KML_ARM_GCC)
  _kml_path(KML_MEASURE_ARM_SIZE KML_ARM_SIZE)
  _kml_path(KML_MEASURE_ARM_NM KML_ARM_NM)
  _kml_path(KML_MEASURE_QEMU KML_QEMU_ARM)
  if(TARGET simavr_run)
    target_compile_definitions(kml_export PRIVATE KML_MEASURE_SIMAVR_RUN="$<TARGET_FILE:simavr_run>")
  endif()
endif()
