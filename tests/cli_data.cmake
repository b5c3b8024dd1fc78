# CLI-level tests of `kiloml data info` and the shared data options (cli/data_args.c).

# test_data_args.c is picked up by the glob; it also needs the CLI's option parser.
if(TARGET test_data_args)
  target_sources(test_data_args PRIVATE ${CMAKE_SOURCE_DIR}/cli/data_args.c ${CMAKE_SOURCE_DIR}/cli/num_args.c)
  target_include_directories(test_data_args PRIVATE ${CMAKE_SOURCE_DIR}/cli)
endif()

# The shipped dataset, --json: one key checked by regular expression ...
add_test(NAME cli_data_info_fsdd_json
         COMMAND kiloml data info ${CMAKE_SOURCE_DIR}/datasets/fsdd/fsdd_logmel.h5 --json)
set_tests_properties(cli_data_info_fsdd_json PROPERTIES
    PASS_REGULAR_EXPRESSION "\"n_train\":2700,\"n_test\":300,\"timesteps\":99,\"features\":32,\"classes\":10,")

# ... and the whole object parsed (string(JSON)), plus bad files that must fail with their message.
add_test(NAME cli_data_info_checks
         COMMAND ${CMAKE_COMMAND} -DKILOML=$<TARGET_FILE:kiloml>
                 -DFSDD=${CMAKE_SOURCE_DIR}/datasets/fsdd/fsdd_logmel.h5
                 -DWORK=${CMAKE_CURRENT_BINARY_DIR}/cli_data_work -DSHARED=${KML_SHARED_DATASETS}
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/data/cli_data_checks.cmake)

# A bad file, the plain way: non-zero exit expected.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/cli_data_not_hdf5.h5 "not an HDF5 file\n")
add_test(NAME cli_data_info_bad_file
         COMMAND kiloml data info ${CMAKE_CURRENT_BINARY_DIR}/cli_data_not_hdf5.h5 --json)
set_tests_properties(cli_data_info_bad_file PROPERTIES WILL_FAIL TRUE)

# The shared HAR file, when present: HAR-2 labels and subject groups.
if(EXISTS ${KML_SHARED_DATASETS}/har/har.h5)
  add_test(NAME cli_data_info_har2
           COMMAND kiloml data info ${KML_SHARED_DATASETS}/har/har.h5 --labels y2 --group subject --json)
  set_tests_properties(cli_data_info_har2 PROPERTIES
      PASS_REGULAR_EXPRESSION "\"class_counts_train\":\\[3636,3779\\],\"class_counts_test\":\\[1472,1524\\]")
endif()
