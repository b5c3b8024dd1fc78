# cmake/run_device_accuracy.cmake: ctest driver for device accuracy on real test windows.
#
#   cmake -DKILOML=kiloml -DMODEL=m.q.kml -DDATA=fsdd_logmel.h5 -DHEADER=out.h -DDEVICE=atmega328p
#         [-DWINDOWS=100] [-DEVAL_ALL=ON] -P cmake/run_device_accuracy.cmake
#
# Runs `kiloml export MODEL --target DEVICE --measure --data DATA --windows WINDOWS --json` (the
# first WINDOWS windows of the test split streamed through the simulated chip's UART) and
# requires: exit 0; n == WINDOWS; agree == n (every window's class, logits and final hidden state
# equal to the host build's, and its class equal to the host integer evaluation's);
# device_accuracy == host_accuracy (and device_correct == host_correct); the header's self-check
# passed. With EVAL_ALL (WINDOWS = 0, the whole test split), host_accuracy must also equal the
# integer accuracy `kiloml eval MODEL --data DATA --json` reports.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/json_keys.cmake)
foreach(v KILOML MODEL DATA HEADER DEVICE)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "run_device_accuracy.cmake: -D${v}= is required")
  endif()
endforeach()
if(NOT EXISTS ${DATA})
  message("SKIPPED: ${DATA} is not there")
  return()
endif()
if(NOT DEFINED WINDOWS)
  set(WINDOWS 100)
endif()
execute_process(COMMAND ${KILOML} export ${MODEL} -o ${HEADER} --target ${DEVICE} --name ACC --test-steps 4
                        --measure --data ${DATA} --windows ${WINDOWS} --json
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 600)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kiloml export --measure --data exited with '${rc}'\n${err}\n${out}")
endif()
kml_json_keys("${out}" target agree n selfcheck device_accuracy host_accuracy device_correct host_correct
              cycles_per_step flash_bytes ram_bytes)
if(NOT J_target STREQUAL DEVICE)
  message(FATAL_ERROR "target is '${J_target}', expected ${DEVICE}")
endif()
if(WINDOWS GREATER 0 AND NOT J_n EQUAL WINDOWS)
  message(FATAL_ERROR "n = ${J_n}, expected ${WINDOWS} windows\n${out}")
endif()
if(NOT J_agree EQUAL J_n)
  message(FATAL_ERROR "the device agrees with the host on ${J_agree} of ${J_n} windows\n${out}")
endif()
if(NOT J_device_correct EQUAL J_host_correct OR NOT J_device_accuracy STREQUAL J_host_accuracy)
  message(FATAL_ERROR "device accuracy ${J_device_accuracy} (${J_device_correct}) != host ${J_host_accuracy} "
                      "(${J_host_correct})\n${out}")
endif()
if(NOT J_selfcheck)
  message(FATAL_ERROR "the header's self-check failed on the device\n${out}")
endif()
set(eval_note "")
if(EVAL_ALL)
  execute_process(COMMAND ${KILOML} eval ${MODEL} --data ${DATA} --json
                  OUTPUT_VARIABLE eout ERROR_VARIABLE eerr RESULT_VARIABLE erc TIMEOUT 120)
  if(NOT erc EQUAL 0)
    message(FATAL_ERROR "kiloml eval exited with '${erc}'\n${eerr}")
  endif()
  string(JSON e_acc GET "${eout}" accuracy)
  string(JSON e_n GET "${eout}" n)
  if(NOT e_n EQUAL J_n OR NOT e_acc STREQUAL J_host_accuracy)
    message(FATAL_ERROR "kiloml eval: integer accuracy ${e_acc} on ${e_n} windows; export --measure: host "
                        "${J_host_accuracy} on ${J_n}")
  endif()
  set(eval_note " = kiloml eval's integer accuracy")
endif()
message("${DEVICE}: ${J_n} test windows of ${DATA}: device ${J_device_correct}/${J_n} correct = host "
        "${J_host_correct}/${J_n}${eval_note}, ${J_agree}/${J_n} bit-identical (class, logits, final h); ${J_cycles_per_step} cycles/step, "
        "flash ${J_flash_bytes} B, RAM ${J_ram_bytes} B")
