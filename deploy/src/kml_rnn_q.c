/* kml_rnn_q.c: FastRNN / FastGRNN integer step, classifier, window loop. Number formats and the
 * shifts derived from them are documented in kml_rnn.h; primitives in kml_q.h.
 * Dimension letters: D input features, H hidden units, C classes, rW / rU ranks.
 * Scratch layout (int16): xn[D] | midW[rW] | midU[rU] | hn[H]. */
#include "kiloml/kml_rnn.h"
#include "kml_internal.h"

#define KML_S_(name) name##_q
#define KML_ELEM_ int16_t
#define KML_LOGIT_ int32_t
#define KML_READ_LOGIT_ KML_READ_I32
#define KML_ARGMAX_ kml_argmax_q32
#include "kml_rnn_common.h" /* scratch size, reset, init, step entry points, logits, argmax, predict, lin_bytes */

/* KML_SMOOTH_ACT=0 builds the runtime without tanh / sigmoid by table (kml_tanh_q / kml_sigm_q and
 * their 194-byte table): models with the clip forms only (exported headers say so in <NAME>_SMOOTH_ACT)
 * then run the unit loops as they were before the table existed, smaller and faster; a model that
 * needs the table is refused at init (KML_E_NONLIN). */
#ifndef KML_SMOOTH_ACT
#define KML_SMOOTH_ACT 1
#endif

#define TERM_LIMIT 0x10000000L /* ±2^28: each projected term is clamped here before the sum */

static int shift_ok(int32_t s) { return s >= 0 && s <= KML_Q_MAX_SHIFT; }

static kml_status validate_lin(const kml_lin_q *l, uint16_t in, uint16_t out, uint8_t q_in, uint8_t q_a)
{
    kml_status s;
    if (l->rank == 0) {
        if ((s = kml_mat_validate_q(&l->a, in, out)) != KML_OK) return s;
        return shift_ok((int32_t)q_in + l->a.q - q_a) ? KML_OK : KML_E_QFORMAT;
    }
    if ((s = kml_mat_validate_q(&l->a, in, l->rank)) != KML_OK) return s;
    if ((s = kml_mat_validate_q(&l->b, l->rank, out)) != KML_OK) return s;
    if (l->q_mid > 15) return KML_E_QFORMAT;
    if (!shift_ok((int32_t)q_in + l->a.q - l->q_mid) || !shift_ok((int32_t)l->q_mid + l->b.q - q_a))
        return KML_E_QFORMAT;
    return KML_OK;
}

static int act_ok(uint8_t a)
{
    return a == KML_ACT_QUANTTANH || a == KML_ACT_QUANTSIGM || a == KML_ACT_HARDSIGM ||
           (KML_SMOOTH_ACT && (a == KML_ACT_TANH || a == KML_ACT_SIGMOID));
}

static int const_ok(int16_t c, uint8_t q_g) { return c >= 0 && c <= ((int16_t)1 << q_g); }

kml_status kml_rnn_validate_q(const kml_rnn_q *m)
{
    kml_status s;
    uint16_t k;
    if (!m) return KML_E_NULL;
    if (m->version != KML_DEPLOY_FORMAT_VERSION) return KML_E_VERSION;
    if (m->cell != KML_RNN_FASTRNN && m->cell != KML_RNN_FASTGRNN) return KML_E_CELL;
    if (m->D == 0 || m->H == 0 || m->C == 0) return KML_E_DIMS;
    if (!act_ok(m->update_nl) || (m->cell == KML_RNN_FASTGRNN && !act_ok(m->gate_nl))) return KML_E_NONLIN;
    if (m->q_g < 1 || m->q_g > 14 || m->q_h > 15 || m->q_x > 15 || m->q_in > 15 || m->q_a > 26)
        return KML_E_QFORMAT;
    if (!shift_ok(2 * (int32_t)m->q_g - m->q_h)) return KML_E_QFORMAT;
    if ((s = validate_lin(&m->W, m->D, m->H, m->q_x, m->q_a)) != KML_OK) return s;
    if ((s = validate_lin(&m->U, m->H, m->H, m->q_h, m->q_a)) != KML_OK) return s;
    if ((s = kml_mat_validate_q(&m->V, m->H, m->C)) != KML_OK) return s;
    if (m->V.layout != KML_MAT_DENSE) return KML_E_LAYOUT;
    if ((int32_t)m->q_h + m->V.q > KML_Q_MAX_SHIFT) return KML_E_QFORMAT;
    if (!m->b_h || !m->v || (m->cell == KML_RNN_FASTGRNN && !m->b_g)) return KML_E_NULL;
    for (k = 0; k < m->C; k++) {
        int32_t b = KML_READ_I32(m->v + k);
        if (b > 0x40000000L || b < -0x40000000L) return KML_E_QFORMAT;
    }
    if (m->cell == KML_RNN_FASTRNN) {
        if (!const_ok(m->s_alpha, m->q_g) || !const_ok(m->s_beta, m->q_g)) return KML_E_QFORMAT;
    } else {
        if (!const_ok(m->s_zeta, m->q_g) || !const_ok(m->s_nu, m->q_g)) return KML_E_QFORMAT;
    }
    if (m->norm_m) {
        if (!m->norm_s) return KML_E_NULL;
        if (m->norm_shift > KML_Q_MAX_SHIFT) return KML_E_QFORMAT;
    }
    return KML_OK;
}

KML_INLINE_ int32_t clamp_term(int32_t v)
{
    if (v > TERM_LIMIT) return TERM_LIMIT;
    if (v < -TERM_LIMIT) return -TERM_LIMIT;
    return v;
}

/* quantTanh / quantSigm / hardSigm in one form, with everything that depends only on the model worked
 * out once per step: r = clip(v + add, lo, hi), then moved from Q q_from to Q q_g. With one = 2^q_a:
 *   quantTanh  add 0,      [-one, one],  q_from = q_a
 *   quantSigm  add one,    [0, 2·one],   q_from = q_a + 1   ((x + 1) / 2)
 *   hardSigm   add 2·one,  [0, 4·one],   q_from = q_a + 2   ((x + 2) / 4)
 * exactly kml_quant_tanh_q / kml_quant_sigm_q / kml_hard_sigm_q (kml_q.h), step by step. tanh and the
 * sigmoid (models trained with the smooth forms) go to kml_tanh_q / kml_sigm_q, the table. */
typedef struct {
    int32_t add, lo, hi; /* hi: the upper clip bound of v + add */
    uint8_t rs, ls; /* q_from >= q_g: rounding right shift by rs (ls = 0); else exact left shift by ls */
#if KML_SMOOTH_ACT
    uint8_t table;  /* KML_ACT_TANH or KML_ACT_SIGMOID: kml_tanh_q / kml_sigm_q instead (0 = a PWL form) */
    uint8_t qa, qg;
#endif
} act_conv;

static void act_setup(act_conv *c, uint8_t act, uint8_t q_a, uint8_t q_g)
{
#if KML_SMOOTH_ACT
    c->table = act == KML_ACT_TANH || act == KML_ACT_SIGMOID ? (uint8_t)(act == KML_ACT_TANH ? 1 : 2) : 0;
    c->qa = q_a;
    c->qg = q_g;
#endif
    uint8_t e = act == KML_ACT_HARDSIGM ? 2 : act == KML_ACT_QUANTSIGM ? 1 : 0; /* the divisor 2^e */
    int32_t one = (int32_t)1 << q_a;
    uint8_t q_from = (uint8_t)(q_a + e);
    c->add = e ? (int32_t)1 << (q_a + e - 1) : 0;
    c->lo = e ? 0 : -one;
    c->hi = one << e;
    c->rs = q_from >= q_g ? (uint8_t)(q_from - q_g) : 0;
    c->ls = q_from >= q_g ? 0 : (uint8_t)(q_g - q_from);
}

#if KML_SMOOTH_ACT
/* tanh / sigmoid by table, out of line: the clip forms' unit loops stay small */
static __attribute__((noinline)) int16_t act_table(const act_conv *c, int32_t v)
{
    return c->table == 1 ? kml_tanh_q(v, c->qa, c->qg) : kml_sigm_q(v, c->qa, c->qg);
}
#endif

KML_INLINE_ int act_by_table(const act_conv *c)
{
#if KML_SMOOTH_ACT
    return c->table != 0;
#else
    (void)c;
    return 0;
#endif
}

KML_INLINE_ int16_t act_apply(const act_conv *c, int32_t v)
{
#if KML_SMOOTH_ACT
    if (c->table) return act_table(c, v);
#endif
    v += c->add;
    if (v < c->lo) v = c->lo;
    if (v > c->hi) v = c->hi;
    if (c->ls) return (int16_t)(v * ((int32_t)1 << c->ls));
    return (int16_t)kml_rshift_round(v, c->rs);
}

/* What one step needs besides the model: buffers, the shifts derived from the Q formats, the
 * last factors of W and U (walked column by column, one column per unit) and the vectors they
 * multiply. */
typedef struct {
    int16_t *xn, *mw, *mu, *hn;
    const int16_t *xw, *xu; /* inputs of the walked factors: x or x·W1, h or h·U1 */
    const kml_mat_q *fw, *fu;
    uint8_t sw, su;         /* last-factor shifts to Q q_a */
} step_ctx;

static void prepare(const kml_rnn_q *m, const int16_t *x_raw, const int16_t *h, int16_t *buf, step_ctx *c)
{
    uint16_t i;
    c->xn = buf;
    c->mw = c->xn + m->D;
    c->mu = c->mw + m->W.rank;
    c->hn = c->mu + m->U.rank;
    if (m->norm_m)
        for (i = 0; i < m->D; i++)
            c->xn[i] = kml_norm_q(x_raw[i], KML_READ_I16(m->norm_m + i), KML_READ_I16(m->norm_s + i), m->norm_shift);
    else
        for (i = 0; i < m->D; i++) c->xn[i] = x_raw[i];
    if (m->W.rank) {
        kml_mat_vec_q(&m->W.a, c->xn, (uint8_t)(m->q_x + m->W.a.q - m->W.q_mid), c->mw);
        c->sw = (uint8_t)(m->W.q_mid + m->W.b.q - m->q_a);
        c->xw = c->mw;
        c->fw = &m->W.b;
    } else {
        c->sw = (uint8_t)(m->q_x + m->W.a.q - m->q_a);
        c->xw = c->xn;
        c->fw = &m->W.a;
    }
    if (m->U.rank) {
        kml_mat_vec_q(&m->U.a, h, (uint8_t)(m->q_h + m->U.a.q - m->U.q_mid), c->mu);
        c->su = (uint8_t)(m->U.q_mid + m->U.b.q - m->q_a);
        c->xu = c->mu;
        c->fu = &m->U.b;
    } else {
        c->su = (uint8_t)(m->q_h + m->U.a.q - m->q_a);
        c->xu = h;
        c->fu = &m->U.a;
    }
}

static int is_sp8(const kml_mat_q *m) { return m->layout == KML_MAT_SPARSE && m->wbits == 8 && m->idx8; }
static int is_bm8(const kml_mat_q *m) { return m->layout == KML_MAT_BITMAP && m->wbits == 8; }

/* a_j = x·W[:, j] + h·U[:, j] in Q q_a (int32, each term clamped to ±2^28) from the two column sums */
KML_INLINE_ int32_t preact(int32_t aw, int32_t au, uint8_t sw, uint8_t su)
{
    return clamp_term(kml_rshift_round(aw, sw)) + clamp_term(kml_rshift_round(au, su));
}

/* The per-unit constants of a step. */
typedef struct {
    act_conv gate, up;
    const int16_t *bg, *bh;
    int16_t one;           /* 2^q_g (q_g <= 14) */
    int16_t s1, s2;        /* FastGRNN: s1 = σ(ζ), s2 = σ(ν); FastRNN: s1 = σ(β), s2 = σ(α); 0..2^q_g */
    uint8_t qg, sc2;
} unit_k;

static void unit_setup(unit_k *K, const kml_rnn_q *m)
{
    act_setup(&K->gate, m->gate_nl, m->q_a, m->q_g);
    act_setup(&K->up, m->update_nl, m->q_a, m->q_g);
    K->bg = m->b_g;
    K->bh = m->b_h;
    K->qg = m->q_g;
    K->sc2 = (uint8_t)(2 * m->q_g - m->q_h);
    K->one = (int16_t)(1 << m->q_g);
    K->s1 = m->cell == KML_RNN_FASTGRNN ? m->s_zeta : m->s_beta;
    K->s2 = m->cell == KML_RNN_FASTGRNN ? m->s_nu : m->s_alpha;
}

/* FastGRNN unit j: z, c, h_j' from a_j and h_j (kml_rnn.h) */
/* The products are written at their true widths (the same integers as int32 products, and on AVR
 * a 16x16->32 multiply instead of a 32x32 one): z in [-2^q_g, 2^q_g] (quantSigm gives >= 0, a
 * quantTanh gate may be negative), so 1 - z in [0, 2^(q_g+1)] <= 32768 and σ(ζ)(1 - z) >= 0 fit
 * uint16 x uint16; coef = that >> q_g + σ(ν) <= 2^15 + 2^14 fits uint16; z, h, c are int16. */
KML_INLINE_ int16_t grnn_unit(const unit_k *K, int32_t a, int16_t hj, uint16_t j)
{
    int16_t z = act_apply(&K->gate, a + KML_READ_I16(K->bg + j));
    int16_t cand = act_apply(&K->up, a + KML_READ_I16(K->bh + j));
    uint16_t omz = (uint16_t)(K->one - z);
    uint16_t coef = (uint16_t)(kml_rshift_round((int32_t)((uint32_t)(uint16_t)K->s1 * omz), K->qg) + K->s2);
    return kml_sat16(kml_rshift_round((int32_t)z * hj, K->qg) + kml_rshift_round((int32_t)coef * cand, K->sc2));
}

/* FastRNN unit j */
KML_INLINE_ int16_t rnn_unit(const unit_k *K, int32_t a, int16_t hj, uint16_t j)
{
    int16_t cand = act_apply(&K->up, a + KML_READ_I16(K->bh + j));
    return kml_sat16(kml_rshift_round((int32_t)K->s1 * hj, K->qg) + kml_rshift_round((int32_t)K->s2 * cand, K->sc2));
}

#if defined(__ARM_ARCH_6M__) && !defined(KML_NO_ASM)
/* ARMv6-M (Cortex-M0/M0+): the whole unit loop of a pruned FastGRNN (both walked factors sparse int8
 * with uint8 indices) in one block of Thumb-1. In C, the two column walks and about twenty per-step
 * constants are more than the eight low registers hold, and GCC reloads and re-derives them for every
 * unit (~230 cycles a unit besides the MACs). Here every per-step value sits in one table of words read
 * by immediate offsets (UT_*, at most 124), the unit index j (as 2j) and the table pointer wait in r9 /
 * r8 while a column's MAC loop uses all the low registers, and each column starts from colptr[j] and
 * colptr[j + 1] read at 2j, with nothing carried from the previous one. Every rounding shift is
 * add-then-shift with its constant from the table (kml_rshift_round_b: all its operands are within
 * 2^30, see grnn_unit), the activations' ls / rs choice a multiply by 2^ls after a shift by rs (one of
 * the two is 0). The same integers as the C loop (the device tests compare every output bit with the
 * host build's). */
#define UT_BW 0    /* bw, sw, bu, su: the two column sums' rounding constants and shifts */
#define UT_SW 4
#define UT_BU 8
#define UT_SU 12
#define UT_GLO 16  /* gate: lo - add, hi - add, add + round bias, rs, 2^ls (act_tab) */
#define UT_GHI 20
#define UT_GOFF 24
#define UT_GRS 28
#define UT_GMUL 32
#define UT_ULO 36  /* update (candidate): the same */
#define UT_UHI 40
#define UT_UOFF 44
#define UT_URS 48
#define UT_UMUL 52
#define UT_S1 56   /* σ(ζ), σ(ν), kml_round_bias(q_g) (= 2^q_g / 2), q_g, kml_round_bias(sc2), sc2 */
#define UT_S2 60
#define UT_B1 64
#define UT_QG 68
#define UT_B2 72
#define UT_SC2 76
#define UT_BG 80   /* b_g, b_h, h, destination of h' */
#define UT_BH 84
#define UT_H 88
#define UT_DST 92
#define UT_CPW 96  /* W's last factor: colptr, row indices, values, the vector it multiplies */
#define UT_IW 100
#define UT_WW 104
#define UT_XW 108
#define UT_CPU 112 /* U's last factor: the same */
#define UT_IU 116
#define UT_WU 120
#define UT_XU 124
#define UT_WORDS 32
#define UT_S_(x) #x
#define UT_(x) "#" UT_S_(x)

/* act_apply's constants as the Thumb-1 unit uses them: clip(v, lo - add, hi - add) + add is
 * clip(v + add, lo, hi); then (r + 2^(rs-1)) >> rs is kml_rshift_round(r, rs) (|r| <= 2^27), and
 * times 2^ls (rs = 0 whenever ls > 0, and the reverse). */
static void act_tab(int32_t *t, const act_conv *a)
{
    t[0] = a->lo - a->add;
    t[1] = a->hi - a->add;
    t[2] = a->add + kml_round_bias(a->rs);
    t[3] = a->rs;
    t[4] = (int32_t)1 << a->ls;
}

static int32_t ptr_word(const void *p) { return (int32_t)(uintptr_t)p; }

static void unit_tab_setup(int32_t *t, const step_ctx *c, const unit_k *K, const int16_t *h, int16_t *dst)
{
    t[UT_BW / 4] = kml_round_bias(c->sw), t[UT_SW / 4] = c->sw;
    t[UT_BU / 4] = kml_round_bias(c->su), t[UT_SU / 4] = c->su;
    act_tab(t + UT_GLO / 4, &K->gate);
    act_tab(t + UT_ULO / 4, &K->up);
    t[UT_S1 / 4] = K->s1, t[UT_S2 / 4] = K->s2;
    t[UT_B1 / 4] = kml_round_bias(K->qg), t[UT_QG / 4] = K->qg;
    t[UT_B2 / 4] = kml_round_bias(K->sc2), t[UT_SC2 / 4] = K->sc2;
    t[UT_BG / 4] = ptr_word(K->bg), t[UT_BH / 4] = ptr_word(K->bh);
    t[UT_H / 4] = ptr_word(h), t[UT_DST / 4] = ptr_word(dst);
    t[UT_CPW / 4] = ptr_word(c->fw->colptr), t[UT_IW / 4] = ptr_word(c->fw->idx8);
    t[UT_WW / 4] = ptr_word(c->fw->w8), t[UT_XW / 4] = ptr_word(c->xw);
    t[UT_CPU / 4] = ptr_word(c->fu->colptr), t[UT_IU / 4] = ptr_word(c->fu->idx8);
    t[UT_WU / 4] = ptr_word(c->fu->w8), t[UT_XU / 4] = ptr_word(c->xu);
}

/* One nonzero: au += w[k] · x[idx[k]] (K: the index run's end, j2: the value run's end, aw: x). */
#define UT_MAC_                                      \
    "ldrb %[t], [%[K], %[k]]\n\t"                    \
    "lsls %[t], %[t], #1\n\t"                        \
    "ldrsh %[t], [%[aw], %[t]]\n\t"                  \
    "ldrsb %[u], [%[j2], %[k]]\n\t"                  \
    "muls %[t], %[u]\n\t"                            \
    "adds %[au], %[au], %[t]\n\t"                    \
    "adds %[k], %[k], #1\n\t"
/* au = column j of a last factor times its vector (kml_dot_sp8_end_'s loop): K and j2 are given up to
 * the runs' ends (the caller keeps the table in r8 and 2j in r9) */
#define UT_COL_(cp, ib, wb, xb, n)                   \
    "ldr %[t], [%[K], " UT_(cp) "]\n\t"              \
    "ldrh %[u], [%[t], %[j2]]\n\t"                   \
    "adds %[t], %[t], #2\n\t"                        \
    "ldrh %[t], [%[t], %[j2]]\n\t"                   \
    "subs %[k], %[u], %[t]\n\t"                      \
    "ldr %[aw], [%[K], " UT_(xb) "]\n\t"             \
    "ldr %[u], [%[K], " UT_(ib) "]\n\t"              \
    "adds %[u], %[u], %[t]\n\t"                      \
    "ldr %[j2], [%[K], " UT_(wb) "]\n\t"             \
    "adds %[j2], %[j2], %[t]\n\t"                    \
    "movs %[K], %[u]\n\t"                            \
    "movs %[au], #0\n\t"                             \
    "lsrs %[t], %[k], #1\n\t"                        \
    "bcc " #n "0f\n\t"                               \
    UT_MAC_                                          \
    #n "0:\n\t"                                      \
    "lsrs %[t], %[k], #2\n\t"                        \
    "bcc " #n "1f\n\t"                               \
    UT_MAC_ UT_MAC_                                  \
    #n "1:\n\t"                                      \
    "cmp %[k], #0\n\t"                               \
    "beq " #n "3f\n"                                 \
    #n "2:\n\t"                                      \
    UT_MAC_ UT_MAC_ UT_MAC_ UT_MAC_                  \
    "bne " #n "2b\n"                                 \
    #n "3:\n\t"                                      \
    "mov %[K], r8\n\t"                               \
    "mov %[j2], r9\n\t"
/* v = clip(v, [lo], [hi]) */
#define UT_CLIP_(v, lo, hi, n)                       \
    "ldr %[t], [%[K], " UT_(lo) "]\n\t"              \
    "cmp %[" v "], %[t]\n\t"                         \
    "bge " #n "f\n\t"                                \
    "movs %[" v "], %[t]\n"                          \
    #n ":\n\t"                                       \
    "ldr %[t], [%[K], " UT_(hi) "]\n\t"              \
    "cmp %[" v "], %[t]\n\t"                         \
    "ble 1" #n "f\n\t"                               \
    "movs %[" v "], %[t]\n"                          \
    "1" #n ":\n\t"
/* v = (v + [off]) >> [sh] */
#define UT_RSHIFT_(v, off, sh)                       \
    "ldr %[t], [%[K], " UT_(off) "]\n\t"             \
    "adds %[" v "], %[" v "], %[t]\n\t"              \
    "ldr %[t], [%[K], " UT_(sh) "]\n\t"              \
    "asrs %[" v "], %[t]\n\t"
/* a column term: rounding shift, then clamped to ±TERM_LIMIT (2^28) */
#define UT_TERM_(v, off, sh, n)                      \
    UT_RSHIFT_(v, off, sh)                           \
    "movs %[t], #1\n\t"                              \
    "lsls %[t], %[t], #28\n\t"                       \
    "cmp %[" v "], %[t]\n\t"                         \
    "ble " #n "f\n\t"                                \
    "movs %[" v "], %[t]\n"                          \
    #n ":\n\t"                                       \
    "negs %[t], %[t]\n\t"                            \
    "cmp %[" v "], %[t]\n\t"                         \
    "bge 1" #n "f\n\t"                               \
    "movs %[" v "], %[t]\n"                          \
    "1" #n ":\n\t"
/* a column term when its shift is >= 2: |x·w| <= 2^30 gives |term| <= 2^28, the clamp is a no-op */
#define UT_TERM_NC_(v, off, sh, n) UT_RSHIFT_(v, off, sh)

/* v = act(a + bias[j]) for a in aw (v may be aw itself): the table holds the bias pointer at b and the
 * activation's lo, hi, offset, rs, 2^ls at c, c+4, ..., c+16 (act_tab) */
#define UT_ACT_(v, b, c, n)                          \
    "ldr %[t], [%[K], " UT_(b) "]\n\t"              \
    "ldrsh %[t], [%[t], %[j2]]\n\t"                 \
    "adds %[" v "], %[aw], %[t]\n\t"                \
    UT_CLIP_(v, c, (c + 4), n)                       \
    UT_RSHIFT_(v, (c + 8), (c + 12))                 \
    "ldr %[t], [%[K], " UT_((c + 16)) "]\n\t"       \
    "muls %[" v "], %[t]\n\t"

/* The unit loop; TERM: the form of the column terms. aw, au: the column sums, then the unit's values. */
#define UT_LOOP_(TERM)                                                                                   \
    ".syntax unified\n\t"                                                                                \
    "mov r8, %[K]\n\t"                                                                                   \
    "movs %[j2], #0\n"                                                                                   \
    "9:\n\t"                                                                                             \
    "mov r9, %[j2]\n\t"                                                                                  \
    UT_COL_(UT_CPW, UT_IW, UT_WW, UT_XW, 2)                                                              \
    "mov r10, %[au]\n\t"                                                                                 \
    UT_COL_(UT_CPU, UT_IU, UT_WU, UT_XU, 3)                                                              \
    "mov %[aw], r10\n\t"                                                                                 \
    TERM("aw", UT_BW, UT_SW, 4)                                                                          \
    TERM("au", UT_BU, UT_SU, 5)                                                                          \
    "adds %[aw], %[aw], %[au]\n\t"          /* aw = a */                                                 \
    UT_ACT_("u", UT_BG, UT_GLO, 6)          /* u = z (from a in aw) */                                   \
    UT_ACT_("aw", UT_BH, UT_ULO, 7)         /* aw = c */                                                 \
    "ldr %[t], [%[K], " UT_(UT_B1) "]\n\t"                                                               \
    "lsls %[t], %[t], #1\n\t"               /* 2^q_g */                                                  \
    "subs %[au], %[t], %[u]\n\t"            /* au = 1 - z */                                             \
    "ldr %[t], [%[K], " UT_(UT_S1) "]\n\t"                                                               \
    "muls %[au], %[t]\n\t"                                                                               \
    UT_RSHIFT_("au", UT_B1, UT_QG)                                                                       \
    "ldr %[t], [%[K], " UT_(UT_S2) "]\n\t"                                                               \
    "adds %[au], %[au], %[t]\n\t"           /* au = coef */                                              \
    "muls %[aw], %[au]\n\t"                                                                              \
    UT_RSHIFT_("aw", UT_B2, UT_SC2)         /* aw = the coef·c term */                                   \
    "ldr %[t], [%[K], " UT_(UT_H) "]\n\t"                                                                \
    "ldrsh %[t], [%[t], %[j2]]\n\t"                                                                      \
    "muls %[u], %[t]\n\t"                                                                                \
    UT_RSHIFT_("u", UT_B1, UT_QG)           /* u = the z·h term */                                       \
    "adds %[aw], %[aw], %[u]\n\t"                                                                        \
    "movs %[t], #128\n\t"                                                                                \
    "lsls %[t], %[t], #8\n\t"               /* 32768: saturate to int16 */                               \
    "cmp %[aw], %[t]\n\t"                                                                                \
    "blt 8f\n\t"                                                                                         \
    "subs %[aw], %[t], #1\n"                                                                             \
    "8:\n\t"                                                                                             \
    "negs %[t], %[t]\n\t"                                                                                \
    "cmp %[aw], %[t]\n\t"                                                                                \
    "bge 18f\n\t"                                                                                        \
    "movs %[aw], %[t]\n"                                                                                 \
    "18:\n\t"                                                                                            \
    "ldr %[t], [%[K], " UT_(UT_DST) "]\n\t"                                                              \
    "strh %[aw], [%[t], %[j2]]\n\t"                                                                      \
    "adds %[j2], %[j2], #2\n\t"                                                                          \
    "cmp %[j2], %[h2]\n\t"                                                                               \
    "bge 19f\n\t"                                                                                        \
    "b 9b\n"                                                                                             \
    "19:\n\t"

/* The unit loop of a pruned FastGRNN: h'[j] for j < H into dst. Out of line, so that its table
 * takes stack only on this path. */
static __attribute__((noinline)) void grnn_sp8_t1(const step_ctx *c, const unit_k *Kc, const int16_t *h, int16_t *dst,
                                                  uint16_t H)
{
    int32_t tab[UT_WORDS];
    int32_t K = ptr_word(tab), j2 = 0, aw, au, t, u, k;
    uint32_t h2 = 2u * H;
    unit_tab_setup(tab, c, Kc, h, dst);
    /* volatile: its effect is the stores of h'. Shifts >= 2: no column term needs its clamp. */
#define UT_OPERANDS_                                                                                           \
    : [K] "+l"(K), [j2] "+l"(j2), [aw] "=&l"(aw), [au] "=&l"(au), [t] "=&l"(t), [u] "=&l"(u), [k] "=&l"(k) \
    : [h2] "h"(h2)                                                                                             \
    : "r8", "r9", "r10", "cc", "memory"
    if (!(c->sw >= 2 && c->su >= 2))
        __asm__ volatile(UT_LOOP_(UT_TERM_) UT_OPERANDS_);
    else
        __asm__ volatile(UT_LOOP_(UT_TERM_NC_) UT_OPERANDS_);
#undef UT_OPERANDS_
}
#define KML_GRNN_T1_ 1
#endif

/* One step of either cell. With a low-rank U, h·U1 is taken before the unit loop and unit j
 * reads only h[j] after it, so the new state is written in place; a full-rank U reads all of h
 * for every unit: new state to scratch, copied at the end. When both walked factors are sparse
 * int8 with uint8 indices (a CSC-pruned model), the inline column kernel runs in the unit loop
 * itself (no call per column; a FastGRNN on ARMv6-M runs the whole loop in grnn_sp8_t1); the same
 * when both are bitmap int8 (inline on ARMv6-M, one call per column elsewhere); any other layout,
 * or a mix of layouts, goes through the generic walker. */
static void step(const kml_rnn_q *m, const int16_t *x_raw, kml_rnn_state_q *st, kml_rnn_scratch_q *sc, int grnn)
{
    step_ctx c;
    unit_k K;
    int16_t *h = st->h, *dst;
    uint16_t j, H = m->H;
    prepare(m, x_raw, h, sc->buf, &c);
    unit_setup(&K, m);
    dst = m->U.rank ? h : c.hn;
    if (is_sp8(c.fw) && is_sp8(c.fu)) {
#ifdef KML_GRNN_T1_
        if (grnn && !act_by_table(&K.gate) && !act_by_table(&K.up)) /* the Thumb-1 loop has the PWL forms only */
            grnn_sp8_t1(&c, &K, h, dst, H);
        else
#endif
        {
            kml_sp8walk_ ww, wu;
            kml_sp8walk_init_(&ww, c.fw);
            kml_sp8walk_init_(&wu, c.fu);
            if (grnn)
                for (j = 0; j < H; j++) {
                    int32_t aw = kml_sp8walk_next_(&ww, c.xw);
                    int32_t au = kml_sp8walk_next_(&wu, c.xu);
                    dst[j] = grnn_unit(&K, preact(aw, au, c.sw, c.su), h[j], j);
                }
            else
                for (j = 0; j < H; j++) {
                    int32_t aw = kml_sp8walk_next_(&ww, c.xw);
                    int32_t au = kml_sp8walk_next_(&wu, c.xu);
                    dst[j] = rnn_unit(&K, preact(aw, au, c.sw, c.su), h[j], j);
                }
        }
    } else if (is_bm8(c.fw) && is_bm8(c.fu)) {
        kml_bm8walk_ ww, wu;
        kml_bm8walk_init_(&ww, c.fw);
        kml_bm8walk_init_(&wu, c.fu);
        for (j = 0; j < H; j++) {
            int32_t aw = kml_bm8walk_next_(&ww, c.xw);
            int32_t au = kml_bm8walk_next_(&wu, c.xu);
            int32_t a = preact(aw, au, c.sw, c.su);
            dst[j] = grnn ? grnn_unit(&K, a, h[j], j) : rnn_unit(&K, a, h[j], j);
        }
    } else {
        kml_colwalk_ cw, cu;
        kml_colwalk_init_(&cw, c.fw);
        kml_colwalk_init_(&cu, c.fu);
        for (j = 0; j < H; j++) {
            int32_t aw = kml_colwalk_next_(&cw, c.xw);
            int32_t au = kml_colwalk_next_(&cu, c.xu);
            int32_t a = preact(aw, au, c.sw, c.su);
            dst[j] = grnn ? grnn_unit(&K, a, h[j], j) : rnn_unit(&K, a, h[j], j);
        }
    }
    if (dst != h)
        for (j = 0; j < H; j++) h[j] = dst[j];
}

uint8_t kml_rnn_logit_q(const kml_rnn_q *m) { return (uint8_t)(m->q_h + m->V.q); }

uint32_t kml_rnn_flash_bytes_q(const kml_rnn_q *m)
{
    uint32_t n = lin_bytes(&m->W) + lin_bytes(&m->U) + kml_mat_flash_bytes_q(&m->V);
    n += 2u * (uint32_t)m->H * (m->cell == KML_RNN_FASTGRNN ? 2u : 1u) + 4u * m->C;
    if (m->norm_m) n += 4u * m->D;
    return n;
}
