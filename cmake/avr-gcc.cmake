# cmake/avr-gcc.cmake: toolchain file for AVR microcontrollers (avr-gcc + avr-libc).
#   cmake -S examples/firmware -B fw-avr -DCMAKE_TOOLCHAIN_FILE=cmake/avr-gcc.cmake [-DAVR_MCU=atmega328p]
# Flash = text + data (initialisers live in flash); static RAM = data + bss.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR avr)

find_program(AVR_GCC avr-gcc)
if(NOT AVR_GCC)
  message(FATAL_ERROR "avr-gcc not found: apt-get install gcc-avr avr-libc")
endif()
set(CMAKE_C_COMPILER ${AVR_GCC})
find_program(AVR_SIZE avr-size)
find_program(AVR_OBJCOPY avr-objcopy)
find_program(AVR_NM avr-nm)

set(AVR_MCU atmega328p CACHE STRING "avr-gcc -mmcu value")
set(AVR_F_CPU 16000000 CACHE STRING "clock in Hz (F_CPU)")

# No startup code / linker script during CMake's compiler check.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mmcu=${AVR_MCU} -DF_CPU=${AVR_F_CPU}UL -ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-mmcu=${AVR_MCU} -Wl,--gc-sections")
set(CMAKE_EXECUTABLE_SUFFIX_C .elf)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
