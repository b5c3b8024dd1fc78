# tests/cli_quantize.cmake: `kiloml train` (quant nonlinearities) -> `kiloml quantize` -> `kiloml eval`
# on the shipped spoken-digit set: --json keys and consistency, the flash-budget table and its limit,
# and refusals (a GRU has no integer path, an impossible budget, missing options).
add_test(NAME cli_quantize
         COMMAND ${CMAKE_COMMAND} -DKILOML=$<TARGET_FILE:kiloml>
                 -DDATA=${CMAKE_SOURCE_DIR}/datasets/fsdd/fsdd_logmel.h5
                 -DWORK=${CMAKE_CURRENT_BINARY_DIR}/cli_quantize
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/quantize_check.cmake)
set_tests_properties(cli_quantize PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
