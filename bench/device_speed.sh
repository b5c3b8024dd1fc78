#!/bin/sh
# bench/device_speed.sh: inference speed of a HAR-2-shaped compressed FastGRNN on the simulated
# ATmega328P (simavr, exact cycles) and Cortex-M0+ (QEMU + tools/qemu_insn_plugin.c, cycles
# estimated from the TRM timings).
#
#   [FW_BUILD_TYPE=Release] [TARGETS=cortex-m0plus] [LAYOUT=csc|bitmap] bench/device_speed.sh [BUILD_DIR]
#       [extra firmware C flags, e.g. -DKML_NO_ASM]
#
# BUILD_DIR (default ./build) is a configured host build of this tree (it supplies kml_devgen,
# simavr_run and the QEMU plugin; they are built here if missing). The model: D 9, H 80, C 2,
# W = W1·W2 rank 5 at 20 % density, U = U1·U2 rank 40 at 30 % density, int8 weights,
# quantSigm / quantTanh, random weights (seed 21; tools/kml_devgen.c), a 128-step test window.
# The four sparse factors are stored in CSC, or with LAYOUT=bitmap as KML_MAT_BITMAP (same values).
# For each target it builds examples/firmware (MinSizeRel, as the device tests do) and runs:
#   fw_model  one 128-step window, every step timed (region 3), output compared with the host
#             build of the same deploy/ code (bit for bit: class, logits, final state)
#   fw_bench  each weight matrix's product timed alone (regions 7..15) and 8 whole steps
# and prints cycles per step and per window, ms at 16 / 48 MHz, cycles per nonzero MAC beside
# the target's ideal, and the breakdown: MAC loops (the four products W1, W2, U1, U2 timed alone)
# against the rest of the step (normalisation, shifts, clips, gates, the state update).
# Results also go to BUILD_DIR/bench_device_speed/<target>/*.txt. Takes about a minute.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
extra=${2:-}
build=$(cd "$build" && pwd)
out=$build/bench_device_speed
mkdir -p "$out"

cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
nice cmake --build "$build" --target kml_devgen simavr_run kml_qemu_insn >/dev/null
devgen=$build/kml_devgen
[ -x "$devgen" ] || devgen=$(find "$build" -name kml_devgen -type f -perm -u+x | head -n 1)
simavr=$(find "$build" -name simavr_run -type f -perm -u+x | head -n 1)
plugin=$(find "$build" -name libkml_qemu_insn.so | head -n 1)

T=128
layout=${LAYOUT:-csc}
case $layout in
csc) lflag= ;;
bitmap) lflag=--bitmap ;;
*) echo "device_speed: LAYOUT must be csc or bitmap, got '$layout'" >&2; exit 2 ;;
esac
"$devgen" model --cell fastgrnn --D 9 --H 80 --C 2 --rank-w 5 --rank-u 40 --density-w 20 --density-u 30 \
    --seed 21 --T $T $lflag --name har2 -o "$out/har2_model.h"

# host reference of fw_model (same deploy/ sources, host compiler)
cc -std=c11 -O2 -I"$root/examples/firmware" -I"$root/deploy/include" \
   -DKML_MODEL_HEADER="\"$out/har2_model.h\"" -DKML_MODEL_NAME=har2 \
   "$root/examples/firmware/model_main.c" "$root/examples/firmware/board_host.c" "$root/examples/firmware/out.c" \
   "$root"/deploy/src/*.c -o "$out/host_model"

targets=${TARGETS:-atmega328p cortex-m0plus}
for t in $targets; do
    if [ $t = atmega328p ]; then
        tc=avr-gcc.cmake; sim="-DSIMAVR_RUN=$simavr -DSIZE=$(cache KML_AVR_SIZE) -DNM=$(cache KML_AVR_NM)"
    else
        tc=arm-none-eabi.cmake
        sim="-DQEMU=$(cache KML_QEMU_ARM) -DPLUGIN=$plugin -DSIZE=$(cache KML_ARM_SIZE) -DNM=$(cache KML_ARM_NM)"
    fi
    fw=$out/$t
    rm -f "$fw/CMakeCache.txt"   # CFLAGS (the extra flags) only count on a fresh configure
    CFLAGS="$extra" cmake -S "$root/examples/firmware" -B "$fw" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/$tc" \
        -DCMAKE_BUILD_TYPE=${FW_BUILD_TYPE:-MinSizeRel} -DKML_MODEL_HEADER="$out/har2_model.h" -DKML_MODEL_NAME=har2 >/dev/null
    nice cmake --build "$fw" --target fw_model fw_bench >/dev/null
    # shellcheck disable=SC2086
    cmake -DDEVICE=$t -DELF="$fw/fw_model.elf" -DHOST_REF="$out/host_model" $sim -DSTEP_REGION=3 \
        -DREPORT="$fw/report_model.txt" -P "$root/cmake/run_sim.cmake" >"$fw/log_model.txt" 2>&1 ||
        { cat "$fw/log_model.txt"; echo "device_speed: $t model run failed" >&2; exit 1; }
    # shellcheck disable=SC2086
    cmake -DDEVICE=$t -DELF="$fw/fw_bench.elf" $sim -DMAC_TABLE=ON -DSTEP_REGION=3 \
        -DREPORT="$fw/report_bench.txt" -P "$root/cmake/run_sim.cmake" >"$fw/log_bench.txt" 2>&1 ||
        { cat "$fw/log_bench.txt"; echo "device_speed: $t bench run failed" >&2; exit 1; }
done

awk -v T=$T -v extra="$extra" -v targets="$targets" -v layout="$layout" '
function get(f, k,   l, a) { while ((getline l < f) > 0) { split(l, a, "="); if (a[1] == k) { close(f); return a[2] } }
                               close(f); return "" }
BEGIN {
    printf "HAR-2-shaped FastGRNN (D 9, H 80, W rank 5 @ 20%%, U rank 40 @ 30%%, int8, %s), %d-step window%s\n", layout, T,
           extra == "" ? "" : " [firmware flags: " extra "]"
}
{
    t = $1; dir = $2
    if (index(" " targets " ", " " t " ") == 0) next
    m = dir "/report_model.txt"; b = dir "/report_bench.txt"
    step = get(m, "cycles_per_step"); agree = get(m, "windows_agree"); n = get(m, "windows_n")
    flash = get(m, "flash_bytes"); ram = get(m, "ram_bytes")
    win = step * T
    ideal = t == "atmega328p" ? "20-25 (2 lpm, 2 ld, x address, mulsu + muls, 32-bit adds)" : "5-8 (ldrb, ldrsb, ldrsh, muls, add)"
    printf "\n%s (%s)\n", t, t == "atmega328p" ? "simavr, exact cycles" : "QEMU plugin, Cortex-M0+ TRM estimate"
    same = (get(m, "host_lines_agreeing") > 0 && get(m, "device_selfcheck") != "0") ? "yes" : "NO"
    printf "  bit-identical to the host build (class, logits, final h): %s\n", same
    printf "  flash %s B, RAM %s B\n", flash, ram
    printf "  cycles per step %d, per window (%d steps) %d: %.1f ms at 16 MHz, %.1f ms at 48 MHz\n",
           step, T, win, win / 16000.0, win / 48000.0
    macs = 0; mcyc = 0
    split("W1 W2 U1 U2", names, " ")
    for (i = 1; i <= 4; i++) {
        v = get(b, "mac_" names[i]); if (v == "") continue
        split(v, f, ",")
        printf "  %-3s %s %s: %5d MACs, %7d cycles, %6.2f cycles/MAC\n", names[i], f[1], f[2], f[3], f[4], f[5]
        macs += f[3]; mcyc += f[4]
    }
    bstep = get(b, "mac_step"); split(bstep, s, ",")
    printf "  MAC loops: %d cycles for %d nonzero MACs = %.2f cycles/MAC (ideal ~%s)\n", mcyc, macs, mcyc / macs, ideal
    printf "  whole step (bench): %d cycles = %.2f cycles/MAC; per-unit work (step - MAC loops) %d cycles = %.1f per hidden unit\n",
           s[2], s[3], s[2] - mcyc, (s[2] - mcyc) / 80.0
    if (t == "cortex-m0plus") printf "  target: <= 40 ms per window at 48 MHz (<= 15000 cycles/step): %s\n", win / 48000.0 <= 40 ? "MET" : "not met"
}' <<EOF
atmega328p $out/atmega328p
cortex-m0plus $out/cortex-m0plus
EOF
