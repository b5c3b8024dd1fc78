# tests/paper.cmake: bench/paper in CI.
#   paper_orchestration  bench/paper's scheduling, resume, report and --check logic, driven through
#                        tests/paper/fake_kiloml (no training; a few seconds; both builds)
#   paper_quick          bench/paper --quick --check: every row against its recorded full run (seed 0,
#                        bench/paper.d/ref/): the first epochs of the full command rerun and their log
#                        compared, the recorded model taken through every later stage to the recorded
#                        figure. Release build only (label "slow": scripts/test.sh leaves it out of the
#                        sanitizer pass). Exit 77 = skipped: no row could be checked (data missing).
find_program(KML_BASH bash)
find_program(KML_JQ jq)
if(NOT KML_BASH OR NOT KML_JQ)
  message(STATUS "  paper tests disabled: bash or jq not found (apt-get install jq)")
  return()
endif()
add_test(NAME paper_orchestration
         COMMAND ${KML_BASH} ${CMAKE_SOURCE_DIR}/tests/paper_orchestration.sh ${CMAKE_BINARY_DIR})
set_tests_properties(paper_orchestration PROPERTIES TIMEOUT 180)
if(NOT CMAKE_BUILD_TYPE STREQUAL "Sanitize")
  add_test(NAME paper_quick
           COMMAND ${KML_BASH} ${CMAKE_SOURCE_DIR}/bench/paper --quick --check --fresh --jobs 2
                   --build ${CMAKE_BINARY_DIR} --datasets ${KML_SHARED_DATASETS}
                   --out ${CMAKE_BINARY_DIR}/paper-quick --results ${CMAKE_BINARY_DIR}/paper-quick/RESULTS.md)
  set_tests_properties(paper_quick PROPERTIES TIMEOUT 900 SKIP_RETURN_CODE 77 LABELS slow
                       ENVIRONMENT "OPENBLAS_NUM_THREADS=1" RUN_SERIAL TRUE)
endif()
