# tests/deploy_nosmooth.cmake: test_deploy_q again, against the device runtime built with
# KML_SMOOTH_ACT=0 (no tanh / sigmoid tables, as the firmware build does for a clip-form model): the same
# golden integers, and a model that needs the tables refused at init (KML_E_NONLIN).
file(GLOB _kml_deploy_src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/deploy/src/*.c)
add_library(kml_deploy_nosmooth STATIC ${_kml_deploy_src})
target_include_directories(kml_deploy_nosmooth PUBLIC ${CMAKE_SOURCE_DIR}/deploy/include)
target_compile_definitions(kml_deploy_nosmooth PRIVATE KML_SMOOTH_ACT=0)
target_compile_options(kml_deploy_nosmooth PRIVATE -pedantic -Wall -Wextra -Werror -ffreestanding)
set_target_properties(kml_deploy_nosmooth PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF)
add_executable(test_deploy_q_nosmooth ${CMAKE_CURRENT_SOURCE_DIR}/test_deploy_q.c)
target_compile_definitions(test_deploy_q_nosmooth PRIVATE KML_SMOOTH_ACT=0)
target_link_libraries(test_deploy_q_nosmooth PRIVATE kml_deploy_nosmooth PkgConfig::CMOCKA m)
add_test(NAME test_deploy_q_nosmooth COMMAND test_deploy_q_nosmooth WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
