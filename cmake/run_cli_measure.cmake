# cmake/run_cli_measure.cmake: ctest driver for `kiloml export MODEL.kml --target T --measure --json`.
#   cmake -DKILOML=kiloml -DMODEL=m.kml -DHEADER=out.h -DDEVICE=atmega328p -P cmake/run_cli_measure.cmake
# Requires exit 0 and one JSON object with the documented keys, agree == n >= 2, selfcheck and fits
# true, positive sizes and cycles; prints the figures.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/json_keys.cmake)
execute_process(COMMAND ${KILOML} export ${MODEL} -o ${HEADER} --target ${DEVICE} --name CLI --measure --json
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 300)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kiloml export --measure exited with '${rc}'\n${err}\n${out}")
endif()
kml_json_keys("${out}" target flash_bytes ram_bytes stack_bytes cycles_per_step ms_per_window agree n selfcheck fits)
if(NOT J_target STREQUAL DEVICE)
  message(FATAL_ERROR "target is '${J_target}', expected ${DEVICE}")
endif()
if(NOT J_agree EQUAL J_n OR J_n LESS 2)
  message(FATAL_ERROR "agree ${J_agree} of n ${J_n}")
endif()
if(NOT J_selfcheck OR NOT J_fits)
  message(FATAL_ERROR "selfcheck ${J_selfcheck}, fits ${J_fits}\n${out}")
endif()
foreach(key flash_bytes ram_bytes stack_bytes cycles_per_step)
  if(NOT J_${key} GREATER 0)
    message(FATAL_ERROR "${key} = ${J_${key}}")
  endif()
endforeach()
message("${DEVICE}: flash ${J_flash_bytes} B, RAM ${J_ram_bytes} B (stack ${J_stack_bytes}), "
        "${J_cycles_per_step} cycles/step, ${J_ms_per_window} ms/window, agree ${J_agree}/${J_n}")
