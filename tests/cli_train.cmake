# tests/cli_train.cmake: `kiloml train` -> `kiloml eval` on the shipped spoken-digit set (--json keys,
# the two agree on test accuracy) and bad arguments (exit status, one clear message).
add_test(NAME cli_train
         COMMAND ${CMAKE_COMMAND} -DKILOML=$<TARGET_FILE:kiloml>
                 -DDATA=${CMAKE_SOURCE_DIR}/datasets/fsdd/fsdd_logmel.h5
                 -DWORK=${CMAKE_CURRENT_BINARY_DIR}/cli_train
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/train_check.cmake)
set_tests_properties(cli_train PROPERTIES ENVIRONMENT "OPENBLAS_NUM_THREADS=1")
