# tests/data/cli_data_checks.cmake: run with cmake -P (see tests/cli_data.cmake).
#   -DKILOML=path/to/kiloml -DFSDD=path/to/fsdd_logmel.h5 -DWORK=scratch folder [-DSHARED=shared datasets]
# Parses `kiloml data info --json` output and checks that bad inputs exit non-zero, print nothing on stdout
# and name the problem on stderr.
cmake_minimum_required(VERSION 3.20)
file(MAKE_DIRECTORY ${WORK})

# check("message" <if() condition...>): fail with the message unless the condition holds.
function(check msg)
  if(NOT (${ARGN}))
    message(FATAL_ERROR "FAILED: ${msg}")
  endif()
endfunction()

# 1. the shipped file: one JSON object with the documented keys
execute_process(COMMAND ${KILOML} data info ${FSDD} --json
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
check("data info on fsdd exited ${rc}: ${err}" rc EQUAL 0)
string(JSON n_train GET "${out}" n_train)
string(JSON n_test GET "${out}" n_test)
string(JSON held GET "${out}" test_held_out)
string(JSON ncount LENGTH "${out}" class_counts_train)
string(JSON c3 GET "${out}" class_counts_test 3)
string(JSON nfeat LENGTH "${out}" features_stats)
string(JSON min0 GET "${out}" features_stats 0 min)
string(JSON nan GET "${out}" nan_count)
string(JSON src GET "${out}" source)
check("n_train ${n_train}" n_train EQUAL 2700)
check("n_test ${n_test}" n_test EQUAL 300)
check("test_held_out ${held}" held STREQUAL OFF)
check("class_counts_train has ${ncount} entries" ncount EQUAL 10)
check("class_counts_test[3] = ${c3}" c3 EQUAL 30)
check("features_stats has ${nfeat} entries" nfeat EQUAL 32)
check("features_stats[0].min = ${min0} (padding frames are log(1e-10))" min0 LESS -23.0)
check("nan_count ${nan}" nan EQUAL 0)
check("source ${src}" src STREQUAL FSDD)

# 2. a CSV without test data: held out, and said so on stderr
file(WRITE ${WORK}/ok.csv "label,subject,t0_f0,t0_f1,t1_f0,t1_f1\n")
foreach(i RANGE 0 19)
  math(EXPR lab "${i} % 2")
  file(APPEND ${WORK}/ok.csv "${lab},7,${i},1,2,3\n")
endforeach()
execute_process(COMMAND ${KILOML} data info ${WORK}/ok.csv --timesteps 2 --skip-cols 1 --json
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
check("data info on ok.csv exited ${rc}: ${err}" rc EQUAL 0)
string(JSON held GET "${out}" test_held_out)
string(JSON n_test GET "${out}" n_test)
string(JSON nfeat GET "${out}" features)
check("test_held_out ${held}" held STREQUAL ON)
check("n_test ${n_test}" n_test EQUAL 4)
check("features ${nfeat}" nfeat EQUAL 2)
string(FIND "${err}" "held out a seeded stratified 20 %" pos)
check("no hold-out notice on stderr: ${err}" pos GREATER -1)

# 3. bad inputs: non-zero exit, empty stdout, the message on stderr
function(expect_fail fragment)
  execute_process(COMMAND ${KILOML} data info ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  check("expected failure for ${ARGN}" NOT rc EQUAL 0)
  string(LENGTH "${out}" outlen)
  check("stdout not empty for ${ARGN}: ${out}" outlen EQUAL 0)
  string(FIND "${err}" "${fragment}" pos)
  check("stderr lacks '${fragment}' for ${ARGN}: ${err}" pos GREATER -1)
  string(FIND "${err}" "kiloml: " pos)
  check("stderr does not start with 'kiloml: ': ${err}" pos EQUAL 0)
endfunction()

file(WRITE ${WORK}/ragged.csv "label,a,b\n0,1,2\n1,3\n")
expect_fail("row 3, column 3: ragged row" ${WORK}/ragged.csv --timesteps 2 --json)
file(WRITE ${WORK}/text.h5 "hello\n")
expect_fail("not an HDF5 file" ${WORK}/text.h5)
expect_fail("cannot open" ${WORK}/does_not_exist.csv --timesteps 2)
expect_fail("--timesteps: expected an integer" ${WORK}/ragged.csv --timesteps x)
expect_fail("--layout: expected 'wide' or 'long'" ${WORK}/ragged.csv --layout tall)
expect_fail("unknown option" ${WORK}/ragged.csv --bogus)
expect_fail("dataset 'y9_train' not found" ${FSDD} --labels y9)

# 4. the shared raw-audio file has another layout: refused, naming what is missing and what is there
if(DEFINED SHARED AND EXISTS ${SHARED}/fsdd/fsdd_audio.h5)
  expect_fail("dataset 'X_train' not found (the file holds: audio, index, is_test, label, length, offset, speaker)"
              ${SHARED}/fsdd/fsdd_audio.h5 --json)
endif()
