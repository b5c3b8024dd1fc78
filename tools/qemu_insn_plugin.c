/* tools/qemu_insn_plugin.c: a QEMU 7.2 TCG plugin that counts the instructions an ARMv6-M
 * (Cortex-M0/M0+) firmware executes, per marked region, estimates their Cortex-M0+/M0 cycles
 * from the Technical Reference Manual's timings, and finds the stack peak.
 *
 *   qemu-system-arm -M microbit ... -kernel fw.elf \
 *     -plugin libkml_qemu_insn.so,mark_lo=0x..,mark_hi=0x..,stack_lo=0x..,stack_hi=0x..,\
 *             [skip_lo=0x..,skip_hi=0x..,][model=m0plus|m0,][mul=1|32,]out=report.txt
 *
 * Markers: the firmware's `kml_mark(id)` is `ldrb r0, [r0]; bx lr`: it loads the byte at address
 * id. Loads made by instructions in [mark_lo, mark_hi) are markers, and the load address is the
 * id: an odd id opens region id, id + 1 closes it (same convention as tools/simavr_run.c).
 * Region 1, empty, measures the marker overhead, which is subtracted from every region.
 *
 * Counting: an inline +1 (and +cost) on every translated instruction, so counts are exact even
 * when a translation block is left early. A conditional branch costs its not-taken time inline;
 * the taken extra is added when the next executed block does not start at the fall-through.
 *
 * (QEMU 7.2 did not honour the read/write filter of qemu_plugin_register_vcpu_mem_cb here: a
 * MEM_W callback also fired on loads and a MEM_R one never fired; so both are registered for
 * RW and filtered with qemu_plugin_mem_is_store.)
 *
 * Stack: the lowest address stored to inside [stack_lo, stack_hi) (stores by instructions in
 * [skip_lo, skip_hi), the stack painter, are ignored). Peak = stack_hi - lowest.
 *
 * Report (key=value lines, same keys as simavr_run where they mean the same):
 *   sim_total_insns  sim_total_cycles  sim_stack_peak_bytes  sim_marker_overhead (insns)
 *   sim_count_<id>  sim_insns_<id>  sim_cycles_<id> (estimate)  sim_min_<id>  sim_max_<id> (insns)
 *
 * Debian ships QEMU 7.2 with plugin support but without qemu-plugin.h, so the few API
 * declarations used here are written out below (plugin API version 1, QEMU 7.2). The symbols
 * resolve against the qemu binary when it loads the plugin. A newer QEMU changed this API.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- QEMU 7.2 plugin API (version 1), the subset used ---------------------------------- */
#define KML_PLUGIN_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                                          uint64_t vaddr, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw,
                                      void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
void qemu_plugin_outs(const char *string);

KML_PLUGIN_EXPORT int qemu_plugin_version = 1;

/* ---- state ------------------------------------------------------------------------------ */
#define MAX_REGION 256

typedef struct {
    uint64_t count, insns, cycles, min, max;
    uint64_t open_insns, open_cycles;
    bool open;
} region;

static uint64_t insn_count, cycle_count;
static uint64_t pending_fallthrough; /* fall-through address of the last block's cond branch */
static uint64_t mark_lo, mark_hi, stack_lo, stack_hi, skip_lo, skip_hi, lowest_store;
static int model_m0;  /* 0: Cortex-M0+ timings, 1: Cortex-M0 */
static int mul_cost = 1;
static char out_path[512];
static region regions[MAX_REGION];

/* ---- Cortex-M0+/M0 timings (TRM, zero wait states) --------------------------------------- */
typedef struct {
    unsigned cost;     /* cycles charged inline when executed (cond branch: not taken) */
    bool cond_branch;  /* taken costs taken_extra more */
} insn_cost;

static unsigned popcount8(unsigned v)
{
    unsigned n = 0;
    for (; v; v &= v - 1) n++;
    return n;
}

static insn_cost cost_of(const uint8_t *b, size_t size)
{
    insn_cost c = {1, false};
    unsigned branch = model_m0 ? 3 : 2;  /* pipeline refill after a taken branch */
    uint16_t op = (uint16_t)(b[0] | (b[1] << 8));
    if (size == 4) {
        uint16_t op2 = (uint16_t)(b[2] | (b[3] << 8));
        if ((op & 0xF800) == 0xF000 && (op2 & 0xD000) == 0xD000) c.cost = branch + 1;  /* BL */
        else c.cost = model_m0 ? 4 : 3;  /* MSR, MRS, DMB, DSB, ISB */
        return c;
    }
    if ((op & 0xFFC0) == 0x4340) c.cost = (unsigned)mul_cost;                      /* MULS */
    else if ((op & 0xFF00) == 0x4700) c.cost = branch;                             /* BX, BLX */
    else if ((op & 0xFC00) == 0x4400) {                                            /* ADD/CMP/MOV hi */
        unsigned rd = (op & 7u) | ((op >> 4) & 8u);
        c.cost = ((op & 0x0300) != 0x0100 && rd == 15) ? branch : 1;
    } else if ((op & 0xF800) == 0x4800) c.cost = 2;                                /* LDR literal */
    else if ((op & 0xF000) == 0x5000) c.cost = 2;                                  /* ld/st reg offset */
    else if ((op & 0xE000) == 0x6000) c.cost = 2;                                  /* LDR/STR(B) imm */
    else if ((op & 0xF000) == 0x8000) c.cost = 2;                                  /* LDRH/STRH imm */
    else if ((op & 0xF000) == 0x9000) c.cost = 2;                                  /* LDR/STR sp */
    else if ((op & 0xFE00) == 0xB400) c.cost = 1 + popcount8(op & 0xFF) + ((op >> 8) & 1); /* PUSH */
    else if ((op & 0xFE00) == 0xBC00) {                                            /* POP */
        unsigned n = popcount8(op & 0xFF) + ((op >> 8) & 1);
        c.cost = (op & 0x0100) ? n + 1 + branch : 1 + n;
    } else if ((op & 0xF000) == 0xC000) c.cost = 1 + popcount8(op & 0xFF);         /* LDM, STM */
    else if ((op & 0xF000) == 0xD000 && (op & 0x0E00) != 0x0E00) {                 /* B<cond> */
        c.cost = 1;
        c.cond_branch = true;
    } else if ((op & 0xF800) == 0xE000) c.cost = branch;                           /* B */
    return c;
}

/* ---- callbacks ------------------------------------------------------------------------- */
static void on_tb_exec(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    uint64_t packed = (uint64_t)(uintptr_t)udata;
    uint64_t start = packed >> 32, ends_cond = packed & 0xFFFFFFFFu;
    if (pending_fallthrough && start != pending_fallthrough) cycle_count += model_m0 ? 2 : 1;
    pending_fallthrough = ends_cond;
}

static void on_store(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    (void)vcpu;
    (void)udata;
    if (!qemu_plugin_mem_is_store(info)) return;
    if (vaddr >= stack_lo && vaddr < stack_hi && vaddr < lowest_store) lowest_store = vaddr;
}

static void on_mark(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    (void)vcpu;
    (void)udata;
    if (qemu_plugin_mem_is_store(info) || vaddr == 0 || vaddr >= MAX_REGION) return;
    unsigned id = (unsigned)vaddr;
    if (id & 1) {
        regions[id].open_insns = insn_count;
        regions[id].open_cycles = cycle_count;
        regions[id].open = true;
        return;
    }
    region *r = &regions[id - 1];
    if (!r->open) return;
    uint64_t d = insn_count - r->open_insns;
    r->open = false;
    if (r->count == 0 || d < r->min) r->min = d;
    if (d > r->max) r->max = d;
    r->insns += d;
    r->cycles += cycle_count - r->open_cycles;
    r->count++;
}

static bool in_range(uint64_t a, uint64_t lo, uint64_t hi) { return a >= lo && a < hi; }

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    uint64_t fallthrough = 0;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        size_t size = qemu_plugin_insn_size(insn);
        insn_cost c = cost_of(qemu_plugin_insn_data(insn), size);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, 1);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &cycle_count, c.cost);
        if (c.cond_branch && i == n - 1) fallthrough = pc + size;
        if (in_range(pc, mark_lo, mark_hi))
            qemu_plugin_register_vcpu_mem_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
        else if (stack_hi > stack_lo && !in_range(pc, skip_lo, skip_hi))
            qemu_plugin_register_vcpu_mem_cb(insn, on_store, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
    }
    uint64_t packed = (qemu_plugin_tb_vaddr(tb) << 32) | (fallthrough & 0xFFFFFFFFu);
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)packed);
}

static void on_qemu_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    FILE *f = out_path[0] ? fopen(out_path, "w") : NULL;
    char line[160];
    uint64_t overhead_i = regions[1].count ? regions[1].min : 0;
    uint64_t overhead_c = regions[1].count ? regions[1].cycles / regions[1].count : 0;
#define EMIT(...)                                         \
    do {                                                  \
        snprintf(line, sizeof line, __VA_ARGS__);         \
        if (f) fputs(line, f); else qemu_plugin_outs(line); \
    } while (0)
    EMIT("sim_cycle_model=%s_trm_estimate\n", model_m0 ? "m0" : "m0plus");
    EMIT("sim_total_insns=%" PRIu64 "\n", insn_count);
    EMIT("sim_total_cycles=%" PRIu64 "\n", cycle_count);
    EMIT("sim_stack_peak_bytes=%" PRIu64 "\n", lowest_store < stack_hi ? stack_hi - lowest_store : 0);
    EMIT("sim_marker_overhead=%" PRIu64 "\n", overhead_i);
    for (unsigned i = 1; i < MAX_REGION; i += 2) {
        const region *r = &regions[i];
        if (!r->count) continue;
        EMIT("sim_count_%u=%" PRIu64 "\n", i, r->count);
        EMIT("sim_insns_%u=%" PRIu64 "\n", i, r->insns - r->count * overhead_i);
        EMIT("sim_cycles_%u=%" PRIu64 "\n", i, r->cycles - r->count * overhead_c);
        EMIT("sim_min_%u=%" PRIu64 "\n", i, r->min - overhead_i);
        EMIT("sim_max_%u=%" PRIu64 "\n", i, r->max - overhead_i);
    }
#undef EMIT
    if (f) fclose(f);
}

/* ---- installation -------------------------------------------------------------------- */
static bool parse_u64(const char *arg, const char *key, uint64_t *out)
{
    size_t k = strlen(key);
    if (strncmp(arg, key, k) || arg[k] != '=') return false;
    *out = strtoull(arg + k + 1, NULL, 0);
    return true;
}

KML_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        uint64_t v;
        if (parse_u64(a, "mark_lo", &mark_lo) || parse_u64(a, "mark_hi", &mark_hi) ||
            parse_u64(a, "stack_lo", &stack_lo) || parse_u64(a, "stack_hi", &stack_hi) ||
            parse_u64(a, "skip_lo", &skip_lo) || parse_u64(a, "skip_hi", &skip_hi))
            continue;
        if (parse_u64(a, "mul", &v) && (v == 1 || v == 32)) mul_cost = (int)v;
        else if (!strcmp(a, "model=m0")) model_m0 = 1;
        else if (!strcmp(a, "model=m0plus")) model_m0 = 0;
        else if (!strncmp(a, "out=", 4) && strlen(a + 4) < sizeof out_path) strcpy(out_path, a + 4);
        else {
            fprintf(stderr, "qemu_insn_plugin: unknown argument '%s'\n", a);
            return -1;
        }
    }
    lowest_store = UINT64_MAX;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}
