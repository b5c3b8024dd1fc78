# cmake/arm-none-eabi.cmake: toolchain file for Cortex-M (arm-none-eabi-gcc + newlib-nano).
#   cmake -S examples/firmware -B fw-arm -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake [-DARM_CPU=cortex-m0plus]
# The firmware brings its own startup and linker script (examples/firmware/budget.ld).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

find_program(ARM_GCC arm-none-eabi-gcc)
if(NOT ARM_GCC)
  message(FATAL_ERROR "arm-none-eabi-gcc not found: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi")
endif()
set(CMAKE_C_COMPILER ${ARM_GCC})
find_program(ARM_SIZE arm-none-eabi-size)
find_program(ARM_OBJCOPY arm-none-eabi-objcopy)
find_program(ARM_NM arm-none-eabi-nm)

set(ARM_CPU cortex-m0plus CACHE STRING "arm-none-eabi-gcc -mcpu value")

set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=${ARM_CPU} -mthumb -ffreestanding -ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-mcpu=${ARM_CPU} -mthumb -nostartfiles --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections")
set(CMAKE_EXECUTABLE_SUFFIX_C .elf)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
