# tests/header.cmake: exported headers compiled into one program (tests/header/).
# gen_headers writes GA.h (float) and QB.h, QR.h (integer) at build time; test_header_two includes all
# three, built as C99 -pedantic against deploy/ only, and checks each model's self-check vector.
add_executable(kml_header_gen ${CMAKE_CURRENT_SOURCE_DIR}/header/gen_headers.c)
target_include_directories(kml_header_gen PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(kml_header_gen PRIVATE kml_export)
set(_kml_hdr_dir ${CMAKE_CURRENT_BINARY_DIR}/header_two)
set(_kml_hdrs ${_kml_hdr_dir}/GA.h ${_kml_hdr_dir}/QB.h ${_kml_hdr_dir}/QR.h)
add_custom_command(OUTPUT ${_kml_hdrs}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_kml_hdr_dir}
  COMMAND kml_header_gen ${_kml_hdr_dir}
  DEPENDS kml_header_gen
  COMMENT "Exporting three test models as C headers")
add_executable(test_header_two ${CMAKE_CURRENT_SOURCE_DIR}/header/two_models.c ${_kml_hdrs})
target_include_directories(test_header_two PRIVATE ${_kml_hdr_dir})
target_link_libraries(test_header_two PRIVATE kml_deploy)
set_target_properties(test_header_two PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF)
target_compile_options(test_header_two PRIVATE -pedantic)
add_test(NAME test_header_two COMMAND test_header_two)

# The golden integer models as a bare firmware program (tests/golden/golden_device.c): built and run
# on the host here so it keeps compiling; the firmware build runs the same file in simavr / QEMU.
add_executable(golden_device_host ${CMAKE_CURRENT_SOURCE_DIR}/golden/golden_device.c)
target_include_directories(golden_device_host PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(golden_device_host PRIVATE kml_deploy)
set_target_properties(golden_device_host PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF)
add_test(NAME golden_device_host COMMAND golden_device_host)
