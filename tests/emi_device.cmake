# tests/emi_device.cmake: streaming EMI-RNN firmware (examples/firmware/emi_main.c) on the
# simulated targets, for the device-test models of tests/device.cmake (included after it): the
# first vectors file's 25 windows streamed as bags with the EMI settings of the model header
# (<name>_EMI_* defines, written by kml_devgen --emi with the code behind `kiloml export`: window
# 12, stride 4, k 2, a threshold inside the models' confidence range); every instance class, step
# count and bag label must equal the host build; flash and RAM budgets hold.
if(NOT KML_DEVICE_TARGETS)
  return()
endif()
set(_fw ${CMAKE_SOURCE_DIR}/examples/firmware)
foreach(name dev_fastgrnn dev_fastrnn)
  set(dir ${CMAKE_BINARY_DIR}/devtest/${name})
  set(host fw_emi_${name}_host)
  add_executable(${host} ${_fw}/emi_main.c ${_fw}/board_host.c ${_fw}/out.c)
  add_dependencies(${host} devtest_${name})
  target_include_directories(${host} PRIVATE ${_fw})
  target_link_libraries(${host} PRIVATE kml_deploy)
  target_compile_definitions(${host} PRIVATE KML_MODEL_HEADER="${dir}/${name}_model.h" KML_MODEL_NAME=${name}
                             KML_VECTORS_HEADER="${dir}/${name}_vectors_0.h")
  foreach(t ${KML_DEVICE_TARGETS})
    set(bin ${KML_FIRMWARE_DIR}/${t}_${name})
    add_test(NAME device_emi_${name}_${t}
             COMMAND ${CMAKE_COMMAND} -DDEVICE=${t} -DELF=${bin}/fw_emi.elf
                     -DHOST_REF=$<TARGET_FILE:${host}> ${KML_SIM_ARGS_${t}}
                     -DWINDOW_REGION=5 -DVECTORS_SYMBOL=kml_vec_x
                     -DREPORT=${bin}/report_emi.txt
                     -P ${CMAKE_SOURCE_DIR}/cmake/run_sim.cmake)
    set_tests_properties(device_emi_${name}_${t} PROPERTIES TIMEOUT 120 LABELS device)
  endforeach()
endforeach()
