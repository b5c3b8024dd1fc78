# cmake/check_exits.cmake: the simulators' exit paths (cmake -P), examples/firmware/exit_main.c.
#   cmake -DDEVICE=atmega328p -DDIR=<firmware build dir> -DSIMAVR_RUN=... -P cmake/check_exits.cmake
#   cmake -DDEVICE=cortex-m0plus -DDIR=... -DQEMU=... -P cmake/check_exits.cmake
# fw_exit.elf prints "bye" and returns 3 from main: the run must end with status 3 and the text.
# fw_hang.elf never ends: simavr_run must stop it at its cycle limit (status 2,
# sim_state=cycle_limit); QEMU must be killed by the time limit.
cmake_minimum_required(VERSION 3.20)
if(DEVICE STREQUAL "atmega328p")
  set(run_exit ${SIMAVR_RUN} -q ${DIR}/fw_exit.elf)
  set(run_hang ${SIMAVR_RUN} -q -c 200000 ${DIR}/fw_hang.elf)
else()
  set(qemu ${QEMU} -M microbit -display none -monitor none -serial stdio
           -semihosting-config enable=on,target=native -kernel)
  set(run_exit ${qemu} ${DIR}/fw_exit.elf)
  set(run_hang ${qemu} ${DIR}/fw_hang.elf)
endif()
execute_process(COMMAND ${run_exit} OUTPUT_VARIABLE out RESULT_VARIABLE rc TIMEOUT 30)
if(NOT rc EQUAL 3 OR NOT out MATCHES "^bye\n")
  message(FATAL_ERROR "${DEVICE}: fw_exit gave status '${rc}' and output '${out}' (want 3 and 'bye')")
endif()
execute_process(COMMAND ${run_hang} OUTPUT_VARIABLE out RESULT_VARIABLE rc TIMEOUT 3)
if(DEVICE STREQUAL "atmega328p")
  if(NOT rc EQUAL 2 OR NOT out MATCHES "sim_state=cycle_limit")
    message(FATAL_ERROR "${DEVICE}: fw_hang gave status '${rc}' (want 2, cycle_limit)\n${out}")
  endif()
elseif(NOT rc MATCHES "timeout")
  message(FATAL_ERROR "${DEVICE}: fw_hang gave '${rc}' (want the time limit to end it)")
endif()
message("${DEVICE}: main's return value reaches the exit status (3); a hung firmware is stopped (${rc})")
