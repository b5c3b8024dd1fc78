# tests/device.cmake: firmware run in the simulators (included by tests/CMakeLists.txt).
#
# device_calibration_<target>: examples/firmware/cal_main.c on the simulated chip. Its
#   hand-written instruction sequences must take exactly the cycles the ATmega328P datasheet
#   gives (simavr) or the instructions and Cortex-M0+ TRM cycles the plugin should count (QEMU);
#   the simulator's stack peak must equal the firmware's own stack painting; the kernel's output
#   must equal the host build's; flash and RAM must fit 32 KB / 2 KB.
# device_harness_exits_<target>: main's return value becomes the simulator's exit status; a hung
#   firmware is stopped (simavr_run's cycle limit, QEMU's time limit).
# device_<model>_<target>_<i>: examples/firmware/model_main.c with a model header and 25 test
#   windows per image (4 images: 100 windows): class, logits and final hidden state of every
#   window identical to the host build of the same deploy/ code; flash <= 32 KB; RAM (static +
#   stack peak) <= 2 KB; cycles per step and per window, ms at 16 / 48 MHz printed and written to
#   ${KML_FIRMWARE_DIR}/<target>_<model>/report_<i>.txt.
# device_accuracy_fsdd_<target>: 100 real test windows of datasets/fsdd streamed through the
#   UART (kiloml export --measure --data): bit-identical to the host, same accuracy.
if(TARGET test_measure AND KML_DEVICE_TARGETS)
  # test_measure runs the simulators only when device tests are on (else it skips, saying so)
  target_compile_definitions(test_measure PRIVATE KML_DEVICE_TESTS_ON=1)
  add_dependencies(test_measure kml_devgen kml_qemu_insn)
  if(TARGET simavr_run)
    add_dependencies(test_measure simavr_run)
  endif()
endif()
if(NOT KML_DEVICE_TARGETS)
  return()
endif()

set(_fw ${CMAKE_SOURCE_DIR}/examples/firmware)
add_executable(fw_cal_host ${_fw}/cal_main.c ${_fw}/board_host.c ${_fw}/out.c)
target_include_directories(fw_cal_host PRIVATE ${_fw})

# Datasheet (AVR, cycles) and TRM (M0+, instructions/cycles) figures of cal_main.c's regions.
set(KML_CAL_EXPECT_atmega328p "3=100;5=3;7=2;9=9;11=10;13=2;15=30")
set(KML_CAL_EXPECT_cortex-m0plus "3=100/100;5=21/30;7=2/4;9=2/10;11=3/7;13=3/3;15=2/3;17=4/11")

# simulator arguments of cmake/run_sim.cmake per target
set(KML_SIM_ARGS_atmega328p -DSIMAVR_RUN=$<TARGET_FILE:simavr_run> -DSIZE=${KML_AVR_SIZE} -DNM=${KML_AVR_NM})
set(KML_SIM_ARGS_cortex-m0plus -DQEMU=${KML_QEMU_ARM} -DPLUGIN=$<TARGET_FILE:kml_qemu_insn>
    -DNM=${KML_ARM_NM} -DSIZE=${KML_ARM_SIZE})
set(KML_TOOLCHAIN_atmega328p avr-gcc.cmake)
set(KML_TOOLCHAIN_cortex-m0plus arm-none-eabi.cmake)

foreach(t ${KML_DEVICE_TARGETS})
  kml_firmware_project(${t} ${KML_TOOLCHAIN_${t}})
  add_test(NAME device_calibration_${t}
           COMMAND ${CMAKE_COMMAND} -DDEVICE=${t} -DELF=${KML_FIRMWARE_DIR}/${t}/fw_cal.elf
                   -DHOST_REF=$<TARGET_FILE:fw_cal_host> ${KML_SIM_ARGS_${t}}
                   "-DEXPECT=${KML_CAL_EXPECT_${t}}" -DCHECK_PAINT=ON -DEXEC_LOG_CHECK=ON
                   -DREPORT=${KML_FIRMWARE_DIR}/${t}/report_calibration.txt
                   -P ${CMAKE_SOURCE_DIR}/cmake/run_sim.cmake)
  set_tests_properties(device_calibration_${t} PROPERTIES TIMEOUT 120 LABELS device)
  add_test(NAME device_harness_exits_${t}
           COMMAND ${CMAKE_COMMAND} -DDEVICE=${t} -DDIR=${KML_FIRMWARE_DIR}/${t} ${KML_SIM_ARGS_${t}}
                   -P ${CMAKE_SOURCE_DIR}/cmake/check_exits.cmake)
  set_tests_properties(device_harness_exits_${t} PROPERTIES TIMEOUT 60 LABELS device)
endforeach()

# kml_device_model(<name> WINDOWS n PER_FILE n T n MODEL_ARGS ...): a seeded random integer
# model (tools/kml_devgen.c) and its test windows, built for every target and for the host.
function(kml_device_model name)
  cmake_parse_arguments(M "" "WINDOWS;PER_FILE;T;D" "MODEL_ARGS" ${ARGN})
  set(dir ${CMAKE_BINARY_DIR}/devtest/${name})
  set(header ${dir}/${name}_model.h)
  math(EXPR nfiles "(${M_WINDOWS} + ${M_PER_FILE} - 1) / ${M_PER_FILE}")
  math(EXPR last "${nfiles} - 1")
  set(vectors "")
  foreach(i RANGE ${last})
    list(APPEND vectors ${dir}/${name}_vectors_${i}.h)
  endforeach()
  add_custom_command(OUTPUT ${header} ${vectors}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND kml_devgen model ${M_MODEL_ARGS} --D ${M_D} --name ${name} -o ${header}
    COMMAND kml_devgen vectors --D ${M_D} --T ${M_T} --windows ${M_WINDOWS} --per-file ${M_PER_FILE}
            -o ${dir}/${name}_vectors_%d.h
    DEPENDS kml_devgen
    COMMENT "device test inputs: ${name}")
  add_custom_target(devtest_${name} DEPENDS ${header} ${vectors})
  list(JOIN vectors "|" vector_arg)
  foreach(t ${KML_DEVICE_TARGETS})
    kml_firmware_project(${t}_${name} ${KML_TOOLCHAIN_${t}} DEPENDS devtest_${name}
      ARGS -DKML_MODEL_HEADER=${header} -DKML_MODEL_NAME=${name} "-DKML_VECTORS_HEADERS=${vector_arg}")
  endforeach()
  foreach(i RANGE ${last})
    list(GET vectors ${i} v)
    set(host fw_${name}_host_${i})
    add_executable(${host} ${_fw}/model_main.c ${_fw}/board_host.c ${_fw}/out.c)
    add_dependencies(${host} devtest_${name})
    target_include_directories(${host} PRIVATE ${_fw})
    target_link_libraries(${host} PRIVATE kml_deploy)
    target_compile_definitions(${host} PRIVATE KML_MODEL_HEADER="${header}" KML_MODEL_NAME=${name}
                               KML_VECTORS_HEADER="${v}")
    foreach(t ${KML_DEVICE_TARGETS})
      set(bin ${KML_FIRMWARE_DIR}/${t}_${name})
      add_test(NAME device_${name}_${t}_${i}
               COMMAND ${CMAKE_COMMAND} -DDEVICE=${t} -DELF=${bin}/fw_model_${i}.elf
                       -DHOST_REF=$<TARGET_FILE:${host}> ${KML_SIM_ARGS_${t}}
                       -DSTEP_REGION=3 -DWINDOW_REGION=5
                       "-DVECTORS_SYMBOL=kml_vec_x;${name}_test_x;${name}_test_logits"
                       -DREPORT=${bin}/report_${i}.txt
                       -P ${CMAKE_SOURCE_DIR}/cmake/run_sim.cmake)
      set_tests_properties(device_${name}_${t}_${i} PROPERTIES TIMEOUT 120 LABELS device)
    endforeach()
  endforeach()
endfunction()

# FastGRNN, D = 9 (HAR-like), H = 32, C = 6; W = W1·W2 rank 4, both factors sparse (int8);
# U = U1·U2 rank 8, U2 int16; integer input normalisation; 100 windows of 32 steps. The two
# models carry EMI-RNN settings (header defines <name>_EMI_*, as `kiloml export` writes them for
# an EMI model: window 12, stride 4, k 2, no negative class, a threshold inside the random
# models' confidence range) for tests/emi_device.cmake.
kml_device_model(dev_fastgrnn WINDOWS 100 PER_FILE 25 T 32 D 9
                 MODEL_ARGS --cell fastgrnn --H 32 --C 6 --rank-w 4 --rank-u 8 --sparse-w --w16-u --seed 11
                            --emi 12,4,2,0.325)
# FastRNN, full-rank dense W and U (int8), H = 16, C = 2; 100 windows of 32 steps.
kml_device_model(dev_fastrnn WINDOWS 100 PER_FILE 25 T 32 D 9
                 MODEL_ARGS --cell fastrnn --H 16 --C 2 --seed 12 --emi 12,4,2,0.6)

# Pruned models whose walked factors (W2 / U2, or W / U at full rank) are all sparse int8 with
# uint8 indices: the step's inline column kernel (the Thumb-1 loop on the M0+, including the
# n mod 4 entry blocks: columns of 1..many nonzeros), written in place (low rank) or through
# scratch (full rank). 25 windows of 32 steps each, one image per target.
kml_device_model(dev_sparse_grnn WINDOWS 25 PER_FILE 25 T 32 D 9
                 MODEL_ARGS --cell fastgrnn --H 40 --C 3 --rank-w 4 --rank-u 12 --density-w 40
                            --density-u 30 --seed 13)
# The same with pre-activations in Q19: the last factors' shifts are 0 (the column terms' clamps
# count: the M0+ unit's clamping form), the gates shift right (rounding) instead of left.
kml_device_model(dev_sparse_grnn_q19 WINDOWS 25 PER_FILE 25 T 32 D 9
                 MODEL_ARGS --cell fastgrnn --H 40 --C 3 --rank-w 4 --rank-u 12 --density-w 40
                            --density-u 30 --q-a 19 --seed 15)
# The same pruned FastGRNN with the hardSigm gate clip(x/4 + 1/2): its constants (q_a + 2 -> q_g) in the
# M0+ unit loop's table, the C unit loop on AVR.
kml_device_model(dev_sparse_grnn_hsig WINDOWS 25 PER_FILE 25 T 32 D 9
                 MODEL_ARGS --cell fastgrnn --H 40 --C 3 --rank-w 4 --rank-u 12 --density-w 40
                            --density-u 30 --gate-nl hardsigm --seed 17)
# The same with the smooth nonlinearities, sigmoid gate and tanh candidate by deploy's table
# (kml_tanh_q / kml_sigm_q, read from flash): the C unit loop on both chips (the M0+ Thumb-1 loop
# has the PWL forms only).
kml_device_model(dev_sparse_grnn_smooth WINDOWS 25 PER_FILE 25 T 32 D 9
                 MODEL_ARGS --cell fastgrnn --H 40 --C 3 --rank-w 4 --rank-u 12 --density-w 40
                            --density-u 30 --gate-nl sigmoid --update-nl tanh --seed 18)
# A dense FastRNN with the tanh candidate and pre-activations in Q19 (the table's input shift).
kml_device_model(dev_rnn_tanh_q19 WINDOWS 25 PER_FILE 25 T 32 D 9
                 MODEL_ARGS --cell fastrnn --H 24 --C 2 --update-nl tanh --q-a 19 --seed 19)
kml_device_model(dev_sparse_rnn WINDOWS 25 PER_FILE 25 T 32 D 9
                 MODEL_ARGS --cell fastrnn --H 24 --C 2 --density-w 50 --density-u 25 --seed 14)
# The same pruned models with every sparse matrix stored as a bitmap (KML_MAT_BITMAP): a low-rank
# FastGRNN whose walked factors W2, U2 are both int8 bitmaps (the step's inline bitmap loop; W1 with
# 9 rows: a part byte, U1 through kml_mat_vec_q), and a full-rank FastRNN with an int16 bitmap U
# (24 rows) beside an int8 bitmap W (the generic walker). 25 windows each, one image per target.
kml_device_model(dev_bitmap_grnn WINDOWS 25 PER_FILE 25 T 32 D 9
                 MODEL_ARGS --cell fastgrnn --H 40 --C 3 --rank-w 4 --rank-u 12 --density-w 40
                            --density-u 30 --bitmap --seed 15)
kml_device_model(dev_bitmap_rnn WINDOWS 25 PER_FILE 25 T 32 D 9
                 MODEL_ARGS --cell fastrnn --H 24 --C 2 --density-w 50 --density-u 25 --w16-u --bitmap --seed 16)

# `kiloml export MODEL.kml --target T --measure --json` end to end, on the float model that
# test_measure writes (measure_model.kml).
if(TARGET kiloml AND TARGET test_measure)
  set_tests_properties(test_measure PROPERTIES FIXTURES_SETUP kml_measure_model LABELS device)
  foreach(t ${KML_DEVICE_TARGETS})
    add_test(NAME device_cli_export_measure_${t}
             COMMAND ${CMAKE_COMMAND} -DKILOML=$<TARGET_FILE:kiloml>
                     -DMODEL=${CMAKE_CURRENT_BINARY_DIR}/measure_model.kml
                     -DHEADER=${CMAKE_CURRENT_BINARY_DIR}/cli_measure_${t}.h -DDEVICE=${t}
                     -P ${CMAKE_SOURCE_DIR}/cmake/run_cli_measure.cmake)
    set_tests_properties(device_cli_export_measure_${t} PROPERTIES TIMEOUT 300 LABELS device
                         FIXTURES_REQUIRED kml_measure_model)
  endforeach()
endif()

# Device accuracy on real test windows: a small FastGRNN (H 16, U rank 8) trained for a few
# seconds with quantization-aware training on the shipped spoken-digit set, then the first 100
# windows of its test split (99 steps x 32 log-mel features each) streamed through the simulated
# chip's UART: every window's class, logits and final hidden state must equal the host build's,
# and device accuracy must equal the host integer accuracy (cmake/run_device_accuracy.cmake).
set(_fsdd ${CMAKE_SOURCE_DIR}/datasets/fsdd/fsdd_logmel.h5)
if(TARGET kiloml AND EXISTS ${_fsdd})
  set(_acc ${CMAKE_CURRENT_BINARY_DIR}/devacc)
  add_test(NAME device_accuracy_train
           COMMAND ${CMAKE_COMMAND} -E env OPENBLAS_NUM_THREADS=1
                   $<TARGET_FILE:kiloml> train --data ${_fsdd} --cell fastgrnn --hidden 16 --rank-u 8
                   --epochs 12 --qat --qat-epochs 3 --seed 0 --threads 1 --quiet -o ${_acc}_fsdd.kml)
  set_tests_properties(device_accuracy_train PROPERTIES TIMEOUT 300 LABELS device
                       FIXTURES_SETUP kml_devacc_model)
  foreach(t ${KML_DEVICE_TARGETS})
    add_test(NAME device_accuracy_fsdd_${t}
             COMMAND ${CMAKE_COMMAND} -DKILOML=$<TARGET_FILE:kiloml> -DMODEL=${_acc}_fsdd.kml -DDATA=${_fsdd}
                     -DHEADER=${_acc}_fsdd_${t}.h -DDEVICE=${t} -DWINDOWS=100
                     -P ${CMAKE_SOURCE_DIR}/cmake/run_device_accuracy.cmake)
    set_tests_properties(device_accuracy_fsdd_${t} PROPERTIES TIMEOUT 300 LABELS device
                         FIXTURES_REQUIRED kml_devacc_model)
  endforeach()
endif()

# The Arduino sketch's C glue (examples/arduino/kiloml_demo/src/kiloml_glue.c) compiled with avr-gcc
# against an exported integer header with the prefix the sketch expects (KML_MODEL).
if("atmega328p" IN_LIST KML_DEVICE_TARGETS)
  set(_ard ${CMAKE_BINARY_DIR}/devtest/arduino)
  add_custom_command(OUTPUT ${_ard}/model.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_ard}
    COMMAND kml_devgen model --cell fastgrnn --D 6 --H 16 --C 4 --rank-u 4 --seed 5 --name KML_MODEL
            -o ${_ard}/model.h
    DEPENDS kml_devgen COMMENT "device test inputs: Arduino sketch header")
  add_custom_target(devtest_arduino ALL DEPENDS ${_ard}/model.h)
  add_test(NAME device_arduino_glue_atmega328p
           COMMAND ${KML_AVR_GCC} -mmcu=atmega328p -DF_CPU=16000000UL -Os -std=gnu99 -Wall -Wextra -Werror
                   -I${_ard} -I${CMAKE_SOURCE_DIR}/deploy/include
                   -c ${CMAKE_SOURCE_DIR}/examples/arduino/kiloml_demo/src/kiloml_glue.c
                   -o ${_ard}/kiloml_glue.o)
  set_tests_properties(device_arduino_glue_atmega328p PROPERTIES LABELS device)
endif()

# Cycles per multiply-accumulate, matrix by matrix, for a model of the shape of the paper's
# compressed HAR-2 FastGRNN (D = 9, H = 80, W = W1·W2 rank 5 at 20 % density, U = U1·U2 rank 40
# at 30 % density, int8, C = 2; random weights): examples/firmware/bench_main.c. Informational:
# it passes when the bench runs and fits; the figures are in the test output and in
# ${KML_FIRMWARE_DIR}/<target>_har2_shape/report_bench.txt (docs/firmware.md discusses them).
# har2_shape_bitmap: the same model with its sparse factors stored as bitmaps (KML_MAT_BITMAP).
foreach(_v har2_shape har2_shape_bitmap)
  set(_har2 ${CMAKE_BINARY_DIR}/devtest/${_v})
  set(_bmarg "")
  if(_v STREQUAL "har2_shape_bitmap")
    set(_bmarg --bitmap)
  endif()
  add_custom_command(OUTPUT ${_har2}/${_v}_model.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_har2}
    COMMAND kml_devgen model --cell fastgrnn --D 9 --H 80 --C 2 --rank-w 5 --rank-u 40 --density-w 20
            --density-u 30 ${_bmarg} --seed 21 --name ${_v} -o ${_har2}/${_v}_model.h
    DEPENDS kml_devgen COMMENT "device test inputs: ${_v}")
  add_custom_target(devtest_${_v} DEPENDS ${_har2}/${_v}_model.h)
  foreach(t ${KML_DEVICE_TARGETS})
    set(bin ${KML_FIRMWARE_DIR}/${t}_${_v})
    kml_firmware_project(${t}_${_v} ${KML_TOOLCHAIN_${t}} DEPENDS devtest_${_v}
      ARGS -DKML_MODEL_HEADER=${_har2}/${_v}_model.h -DKML_MODEL_NAME=${_v})
    add_test(NAME device_mac_${_v}_${t}
             COMMAND ${CMAKE_COMMAND} -DDEVICE=${t} -DELF=${bin}/fw_bench.elf ${KML_SIM_ARGS_${t}}
                     -DMAC_TABLE=ON -DSTEP_REGION=3 -DREPORT=${bin}/report_bench.txt
                     -P ${CMAKE_SOURCE_DIR}/cmake/run_sim.cmake)
    set_tests_properties(device_mac_${_v}_${t} PROPERTIES TIMEOUT 120 LABELS device)
  endforeach()
endforeach()
