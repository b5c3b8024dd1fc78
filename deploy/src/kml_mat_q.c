/* kml_mat_q.c: integer products over weight matrices in flash (layouts in kml_mat.h).
 * Dimension letters: R rows (input length), K columns (outputs), N nonzeros of a column. */
#include "kiloml/kml_mat.h"
#include "kiloml/kml_q.h"
#include "kml_internal.h"

/* One MAC: int8 or int16 weight times int16 activation, into int32. On AVR an int8 weight times
 * an int16 activation is split into two 8x8->16 bit products (hi byte signed, lo byte unsigned)
 * instead of a call to __mulhisi3; the sum is the same integer, so every target gives the same bits. */
#if defined(__AVR__)
static inline int32_t mac_i8(int32_t acc, int8_t w, int16_t x)
{
    int8_t xh = (int8_t)(x >> 8);
    uint8_t xl = (uint8_t)x;
    int16_t ph = (int16_t)w * xh;
    int16_t pl = (int16_t)w * (int16_t)xl;
    return acc + (int32_t)ph * 256 + pl;
}
#else
static inline int32_t mac_i8(int32_t acc, int8_t w, int16_t x)
{
    return acc + (int32_t)w * x;
}
#endif

static inline int32_t mac_i16(int32_t acc, int16_t w, int16_t x)
{
    return acc + (int32_t)w * x;
}

/* Dense int8 column (R weights in flash) times x[R]: the hot loop of a low-rank or int8 model.
 * On AVR (16-bit program addresses: lpm reaches all of the ATmega328P's flash) it is hand-written:
 * per MAC one lpm, two ld, `mulsu` (w times the low byte, unsigned) added at byte 0 and `muls`
 * (w times the high byte, signed) added at byte 1 of a 32-bit accumulator, about 28 cycles against
 * about 70 for the C loop. It computes the same integer as the C loop (kml_mat_dot_col_q's tests and
 * the firmware's host-vs-device comparisons check it). KML_NO_ASM selects the C loop. */
#if defined(__AVR__) && !defined(__AVR_HAVE_ELPM__) && !defined(KML_NO_ASM)
/* Never inlined: the loops pin X and Z, which an inlining caller (-O2/-O3) may hold itself. */
#define KML_AVR_ASM_FN_ static __attribute__((noinline))
/* One int8 x int16 MAC into the 32-bit [acc] (operands [wv] weight, [xl]/[xh] the activation's bytes, [t]
 * scratch): `mulsu` (w times the low byte, unsigned) added at byte 0, `muls` (w times the high byte, signed)
 * added at byte 1, each product sign-extended through [t]. Shared by the dense, sparse and bitmap loops. */
#define KML_AVR_MAC_ASM_                                                                                   \
    "mulsu %[wv], %[xl]\n\t"                                                                            \
    "mov %[t], r1\n\t"                                                                                  \
    "lsl %[t]\n\t"                                                                                      \
    "sbc %[t], %[t]\n\t"                                                                                \
    "add %A[acc], r0\n\t"                                                                               \
    "adc %B[acc], r1\n\t"                                                                               \
    "adc %C[acc], %[t]\n\t"                                                                             \
    "adc %D[acc], %[t]\n\t"                                                                             \
    "muls %[wv], %[xh]\n\t"                                                                             \
    "mov %[t], r1\n\t"                                                                                  \
    "lsl %[t]\n\t"                                                                                      \
    "sbc %[t], %[t]\n\t"                                                                                \
    "add %B[acc], r0\n\t"                                                                               \
    "adc %C[acc], r1\n\t"                                                                               \
    "adc %D[acc], %[t]\n\t"
KML_AVR_ASM_FN_ int32_t dot_dense_i8(const int8_t *w, const int16_t *x, uint16_t n)
{
    int32_t acc;
    uint8_t wv, xl, xh, t;
    if (n == 0) return 0;
    __asm__ volatile("clr %A[acc]\n\t"
                     "clr %B[acc]\n\t"
                     "clr %C[acc]\n\t"
                     "clr %D[acc]\n"
                     "1:\n\t"
                     "lpm %[wv], Z+\n\t"
                     "ld %[xl], X+\n\t"
                     "ld %[xh], X+\n\t"
                     KML_AVR_MAC_ASM_
                     "sbiw %[n], 1\n\t"
                     "brne 1b\n\t"
                     "clr __zero_reg__\n\t"
                     : [acc] "=&r"(acc), [wv] "=&a"(wv), [xl] "=&a"(xl), [xh] "=&d"(xh), [t] "=&r"(t), [n] "+w"(n),
                       "+z"(w), "+x"(x)
                     :
                     : "r0", "memory");
    return acc;
}

/* Sparse int8 column with uint8 row indices: the hot loop of a pruned model. Per nonzero: two lpm
 * (value and index, Z switched between the two streams), the address of x[idx], two ld, then the
 * same mulsu/muls accumulation as dot_dense_i8. */
KML_AVR_ASM_FN_ int32_t dot_sparse_i8_u8(const int8_t *w, const uint8_t *idx, const int16_t *x, uint16_t n)
{
    int32_t acc;
    uint8_t wv, xl, xh, t, zero;
    if (n == 0) return 0;
    __asm__ volatile("clr %A[acc]\n\t"
                     "clr %B[acc]\n\t"
                     "clr %C[acc]\n\t"
                     "clr %D[acc]\n\t"
                     "clr %[zero]\n"
                     "1:\n\t"
                     "movw r30, %[ip]\n\t"
                     "lpm %[t], Z+\n\t" /* t = row index */
                     "movw %[ip], r30\n\t"
                     "movw r30, %[wp]\n\t"
                     "lpm %[wv], Z+\n\t" /* wv = weight */
                     "movw %[wp], r30\n\t"
                     "movw r26, %[xb]\n\t" /* X = x + 2 * t */
                     "add r26, %[t]\n\t"
                     "adc r27, %[zero]\n\t"
                     "add r26, %[t]\n\t"
                     "adc r27, %[zero]\n\t"
                     "ld %[xl], X+\n\t"
                     "ld %[xh], X\n\t"
                     KML_AVR_MAC_ASM_
                     "subi %A[n], 1\n\t"
                     "sbci %B[n], 0\n\t"
                     "brne 1b\n\t"
                     "clr __zero_reg__\n\t"
                     : [acc] "=&r"(acc), [wv] "=&a"(wv), [xl] "=&a"(xl), [xh] "=&d"(xh), [t] "=&r"(t),
                       [zero] "=&r"(zero), [n] "+d"(n), [ip] "+r"(idx), [wp] "+r"(w)
                     : [xb] "r"(x)
                     : "r0", "r26", "r27", "r30", "r31", "memory");
    return acc;
}

/* Dense int16 column: w * x = (wh*xh << 16) + ((wh*xl + wl*xh) << 8) + wl*xl with one `mul`, two
 * `mulsu` and one `muls` (hi bytes signed, lo bytes unsigned): about 40 cycles per MAC against about
 * 74 for the C loop's __mulhisi3 call. */
KML_AVR_ASM_FN_ int32_t dot_dense_i16(const int16_t *w, const int16_t *x, uint16_t n)
{
    int32_t acc;
    uint8_t wl, wh, xl, xh, t, zero;
    if (n == 0) return 0;
    __asm__ volatile("clr %A[acc]\n\t"
                     "clr %B[acc]\n\t"
                     "clr %C[acc]\n\t"
                     "clr %D[acc]\n\t"
                     "clr %[zero]\n"
                     "1:\n\t"
                     "lpm %[wl], Z+\n\t"
                     "lpm %[wh], Z+\n\t"
                     "ld %[xl], X+\n\t"
                     "ld %[xh], X+\n\t"
                     "mul %[wl], %[xl]\n\t" /* unsigned, byte 0 */
                     "add %A[acc], r0\n\t"
                     "adc %B[acc], r1\n\t"
                     "adc %C[acc], %[zero]\n\t"
                     "adc %D[acc], %[zero]\n\t"
                     "mulsu %[wh], %[xl]\n\t" /* signed, byte 1 */
                     "mov %[t], r1\n\t"
                     "lsl %[t]\n\t"
                     "sbc %[t], %[t]\n\t"
                     "add %B[acc], r0\n\t"
                     "adc %C[acc], r1\n\t"
                     "adc %D[acc], %[t]\n\t"
                     "mulsu %[xh], %[wl]\n\t" /* signed, byte 1 */
                     "mov %[t], r1\n\t"
                     "lsl %[t]\n\t"
                     "sbc %[t], %[t]\n\t"
                     "add %B[acc], r0\n\t"
                     "adc %C[acc], r1\n\t"
                     "adc %D[acc], %[t]\n\t"
                     "muls %[wh], %[xh]\n\t" /* signed, byte 2 */
                     "add %C[acc], r0\n\t"
                     "adc %D[acc], r1\n\t"
                     "sbiw %[n], 1\n\t"
                     "brne 1b\n\t"
                     "clr __zero_reg__\n\t"
                     : [acc] "=&r"(acc), [wl] "=&a"(wl), [wh] "=&a"(wh), [xl] "=&a"(xl), [xh] "=&a"(xh), [t] "=&r"(t),
                       [zero] "=&r"(zero), [n] "+w"(n), "+z"(w), "+x"(x)
                     :
                     : "r0", "memory");
    return acc;
}
#else
static int32_t dot_dense_i8(const int8_t *w, const int16_t *x, uint16_t n)
{
    int32_t acc = 0;
    uint16_t i;
    for (i = 0; i < n; i++) acc = mac_i8(acc, KML_READ_I8(w + i), x[i]);
    return acc;
}

#if defined(__ARM_ARCH_6M__) && !defined(KML_NO_ASM)
/* ARMv6-M: the inline Thumb-1 loop of kml_internal.h */
static int32_t dot_sparse_i8_u8(const int8_t *w, const uint8_t *idx, const int16_t *x, uint16_t n)
{
    return kml_dot_sp8_end_(w + n, idx + n, x, -(int32_t)n);
}
#else
/* C reference (host, AVR with KML_NO_ASM, ARM with KML_NO_ASM): pointer walking, no index arithmetic. */
static int32_t dot_sparse_i8_u8(const int8_t *w, const uint8_t *idx, const int16_t *x, uint16_t n)
{
    int32_t acc = 0;
    const int8_t *end = w + n;
    for (; w != end; w++, idx++) acc = mac_i8(acc, KML_READ_I8(w), x[KML_READ_U8(idx)]);
    return acc;
}
#endif

static int32_t dot_dense_i16(const int16_t *w, const int16_t *x, uint16_t n)
{
    int32_t acc = 0;
    uint16_t i;
    for (i = 0; i < n; i++) acc = mac_i16(acc, KML_READ_I16(w + i), x[i]);
    return acc;
}
#endif

/* The remaining sparse forms (int16 weights or uint16 indices): plain C on every target. */
static int32_t dot_sparse_i16_u8(const int16_t *w, const uint8_t *idx, const int16_t *x, uint16_t n)
{
    int32_t acc = 0;
    const int16_t *end = w + n;
    for (; w != end; w++, idx++) acc = mac_i16(acc, KML_READ_I16(w), x[KML_READ_U8(idx)]);
    return acc;
}

static int32_t dot_sparse_i8_u16(const int8_t *w, const uint16_t *idx, const int16_t *x, uint16_t n)
{
    int32_t acc = 0;
    const int8_t *end = w + n;
    for (; w != end; w++, idx++) acc = mac_i8(acc, KML_READ_I8(w), x[KML_READ_U16(idx)]);
    return acc;
}

static int32_t dot_sparse_i16_u16(const int16_t *w, const uint16_t *idx, const int16_t *x, uint16_t n)
{
    int32_t acc = 0;
    const int16_t *end = w + n;
    for (; w != end; w++, idx++) acc = mac_i16(acc, KML_READ_I16(w), x[KML_READ_U16(idx)]);
    return acc;
}

/* Bitmap columns (KML_MAT_BITMAP, kml_mat.h): ceil(R/8) pattern bytes, the column's nonzeros at *wp
 * (advanced past them on return). A zero byte costs one read and a test; in a nonzero byte the set
 * bits are visited lowest first: the byte offset into x of the lowest set bit's row from a
 * 256-entry table (2 x the trailing zeros of the byte, in flash), then that bit cleared
 * (b & (b - 1)), so a byte costs one pass per nonzero and nothing per zero. The nonzeros are multiplied in row order, so the sum is the same
 * integer as the dense and CSC kernels'. Plain C on every target. */
const uint8_t kml_bm_off_[256] KML_FLASH = {
    0, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0, 8, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0,
    10, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0, 8, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0,
    12, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0, 8, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0,
    10, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0, 8, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0,
    14, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0, 8, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0,
    10, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0, 8, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0,
    12, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0, 8, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0,
    10, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0, 8, 0, 2, 0, 4, 0, 2, 0, 6, 0, 2, 0, 4, 0, 2, 0,
};

#if defined(__ARM_ARCH_6M__) && !defined(KML_NO_ASM)
/* ARMv6-M: the Thumb-1 loop of kml_internal.h (kml_dot_bm8_inl_) */
static int32_t dot_bitmap_i8(const uint8_t *bm, const int8_t **wp, const int16_t *x, uint16_t R)
{
    return kml_dot_bm8_inl_(bm, wp, x, R);
}
#elif defined(__AVR__) && !defined(__AVR_HAVE_ELPM__) && !defined(KML_NO_ASM)
/* AVR: the whole column hand-written. Per pattern byte: lpm, and a skip when zero; per set bit:
 * the row from the table (lpm through Z), X = x + 2·row, two ld, the weight (lpm through Z), the
 * mulsu / muls accumulation of dot_dense_i8, then b &= b - 1: about 43 cycles per nonzero against
 * about 115 for the C loop (avr-gcc builds the int8 x int16 product from three 8-bit multiplies and
 * spills). Never inlined: it pins X and Z. Same integer as the C loop below. */
KML_AVR_ASM_FN_ int32_t dot_bitmap_i8(const uint8_t *bm, const int8_t **wp, const int16_t *x, uint16_t R)
{
    int32_t acc;
    const int8_t *w = *wp;
    uint8_t n = (uint8_t)KML_BITMAP_COL_BYTES(R); /* 1..255: validation keeps a bitmap's rows <= 2040 */
    uint8_t b, wv, xl, xh, t, zero;
    __asm__ volatile("clr %A[acc]\n\t"
                     "clr %B[acc]\n\t"
                     "clr %C[acc]\n\t"
                     "clr %D[acc]\n\t"
                     "clr %[zero]\n"
                     "2:\n\t"
                     "movw r30, %[bmp]\n\t"
                     "lpm %[b], Z+\n\t"
                     "movw %[bmp], r30\n\t"
                     "tst %[b]\n\t"
                     "breq 4f\n"
                     "1:\n\t"
                     "movw r30, %[tab]\n\t" /* t = 2 x row of the lowest set bit */
                     "add r30, %[b]\n\t"
                     "adc r31, %[zero]\n\t"
                     "lpm %[t], Z\n\t"
                     "movw r26, %[xp]\n\t" /* X = xp + t (t: the row's byte offset) */
                     "add r26, %[t]\n\t"
                     "adc r27, %[zero]\n\t"
                     "ld %[xl], X+\n\t"
                     "ld %[xh], X\n\t"
                     "movw r30, %[wp]\n\t"
                     "lpm %[wv], Z+\n\t"
                     "movw %[wp], r30\n\t"
                     KML_AVR_MAC_ASM_
                     "mov %[t], %[b]\n\t" /* b &= b - 1 */
                     "dec %[t]\n\t"
                     "and %[b], %[t]\n\t"
                     "brne 1b\n"
                     "4:\n\t"
                     "add %A[xp], %[c16]\n\t"
                     "adc %B[xp], %[zero]\n\t"
                     "dec %[n]\n\t"
                     "brne 2b\n\t"
                     "clr __zero_reg__\n\t"
                     : [acc] "=&r"(acc), [b] "=&r"(b), [wv] "=&a"(wv), [xl] "=&a"(xl), [xh] "=&d"(xh), [t] "=&r"(t),
                       [zero] "=&r"(zero), [n] "+r"(n), [bmp] "+r"(bm), [xp] "+r"(x), [wp] "+r"(w)
                     : [tab] "r"(kml_bm_off_), [c16] "r"((uint8_t)16)
                     : "r0", "r26", "r27", "r30", "r31", "memory");
    *wp = w;
    return acc;
}
#else
static int32_t dot_bitmap_i8(const uint8_t *bm, const int8_t **wp, const int16_t *x, uint16_t R)
{
    int32_t acc = 0;
    const int8_t *w = *wp;
    uint16_t r;
    for (r = 0; r < R; r = (uint16_t)(r + 8), bm++) {
        uint8_t b = KML_READ_U8(bm);
        const int16_t *xp = x + r;
        while (b) {
            acc = mac_i8(acc, KML_READ_I8(w), xp[KML_READ_U8(kml_bm_off_ + b) >> 1]);
            w++;
            b = (uint8_t)(b & (b - 1u));
        }
    }
    *wp = w;
    return acc;
}
#endif

static int32_t dot_bitmap_i16(const uint8_t *bm, const int16_t **wp, const int16_t *x, uint16_t R)
{
    int32_t acc = 0;
    const int16_t *w = *wp;
    uint16_t r;
    for (r = 0; r < R; r = (uint16_t)(r + 8), bm++) {
        uint8_t b = KML_READ_U8(bm);
        const int16_t *xp = x + r;
        while (b) {
            acc = mac_i16(acc, KML_READ_I16(w), xp[KML_READ_U8(kml_bm_off_ + b) >> 1]);
            w++;
            b = (uint8_t)(b & (b - 1u));
        }
    }
    *wp = w;
    return acc;
}

static uint8_t popcount8(uint8_t v)
{
    v = (uint8_t)(v - ((v >> 1) & 0x55u));
    v = (uint8_t)((v & 0x33u) + ((v >> 2) & 0x33u));
    return (uint8_t)((v + (v >> 4)) & 0x0Fu);
}

uint16_t kml_bitmap_count_(const uint8_t *bitmap, uint32_t nbytes)
{
    uint16_t n = 0;
    uint32_t k;
    for (k = 0; k < nbytes; k++) n = (uint16_t)(n + popcount8(KML_READ_U8(bitmap + k)));
    return n;
}

int32_t kml_dot_bm8_(const uint8_t *bm, const int8_t **wp, const int16_t *x, uint16_t R)
{
    return dot_bitmap_i8(bm, wp, x, R);
}

int32_t kml_dot_sp8_(const int8_t *w, const uint8_t *idx, const int16_t *x, uint16_t n)
{
    return dot_sparse_i8_u8(w, idx, x, n);
}

int32_t kml_mat_dot_col_q(const kml_mat_q *m, const int16_t *x, uint16_t j)
{
    if (m->layout == KML_MAT_DENSE) {
        uint16_t R = m->rows;
        if (m->wbits == 8) return dot_dense_i8(m->w8 + (uint32_t)j * R, x, R);
        return dot_dense_i16(m->w16 + (uint32_t)j * R, x, R);
    } else if (m->layout == KML_MAT_BITMAP) {
        uint16_t R = m->rows, RB = KML_BITMAP_COL_BYTES(R);
        const uint8_t *bm = m->bitmap + (uint32_t)j * RB;
        uint16_t k = kml_bitmap_count_(m->bitmap, (uint32_t)j * RB); /* values of the columns before j */
        if (m->wbits == 8) {
            const int8_t *w = m->w8 + k;
            return dot_bitmap_i8(bm, &w, x, R);
        } else {
            const int16_t *w = m->w16 + k;
            return dot_bitmap_i16(bm, &w, x, R);
        }
    } else {
        uint16_t k = KML_READ_U16(m->colptr + j), n = (uint16_t)(KML_READ_U16(m->colptr + j + 1) - k);
        if (m->idx8) {
            if (m->wbits == 8) return dot_sparse_i8_u8(m->w8 + k, m->idx8 + k, x, n);
            return dot_sparse_i16_u8(m->w16 + k, m->idx8 + k, x, n);
        }
        if (m->wbits == 8) return dot_sparse_i8_u16(m->w8 + k, m->idx16 + k, x, n);
        return dot_sparse_i16_u16(m->w16 + k, m->idx16 + k, x, n);
    }
}

enum { WALK_DENSE8, WALK_DENSE16, WALK_SP8_U8, WALK_SP16_U8, WALK_SP8_U16, WALK_SP16_U16, WALK_BM8, WALK_BM16 };

void kml_colwalk_init_(kml_colwalk_ *c, const kml_mat_q *m)
{
    c->w8 = m->w8;
    c->w16 = m->w16;
    c->i8 = m->idx8;
    c->i16 = m->idx16;
    c->bm = m->bitmap;
    c->rows = m->rows;
    c->k = 0;
    if (m->layout == KML_MAT_BITMAP) {
        c->cp = m->colptr;
        c->kind = m->wbits == 8 ? WALK_BM8 : WALK_BM16;
    } else if (m->layout == KML_MAT_DENSE) {
        c->cp = m->colptr;
        c->kind = m->wbits == 8 ? WALK_DENSE8 : WALK_DENSE16;
    } else {
        c->cp = m->colptr + 1;
        if (m->idx8) c->kind = m->wbits == 8 ? WALK_SP8_U8 : WALK_SP16_U8;
        else c->kind = m->wbits == 8 ? WALK_SP8_U16 : WALK_SP16_U16;
    }
}

int32_t kml_colwalk_next_(kml_colwalk_ *c, const int16_t *x)
{
    int32_t acc;
    uint16_t end, n;
    if (c->kind == WALK_DENSE8) {
        acc = dot_dense_i8(c->w8, x, c->rows);
        c->w8 += c->rows;
        return acc;
    }
    if (c->kind == WALK_DENSE16) {
        acc = dot_dense_i16(c->w16, x, c->rows);
        c->w16 += c->rows;
        return acc;
    }
    if (c->kind == WALK_BM8 || c->kind == WALK_BM16) {
        acc = c->kind == WALK_BM8 ? dot_bitmap_i8(c->bm, &c->w8, x, c->rows) : dot_bitmap_i16(c->bm, &c->w16, x, c->rows);
        c->bm += KML_BITMAP_COL_BYTES(c->rows);
        return acc;
    }
    end = KML_READ_U16(c->cp);
    c->cp++;
    n = (uint16_t)(end - c->k);
    c->k = end;
    switch (c->kind) {
    case WALK_SP8_U8:
        acc = dot_sparse_i8_u8(c->w8, c->i8, x, n);
        c->w8 += n;
        c->i8 += n;
        break;
    case WALK_SP16_U8:
        acc = dot_sparse_i16_u8(c->w16, c->i8, x, n);
        c->w16 += n;
        c->i8 += n;
        break;
    case WALK_SP8_U16:
        acc = dot_sparse_i8_u16(c->w8, c->i16, x, n);
        c->w8 += n;
        c->i16 += n;
        break;
    default:
        acc = dot_sparse_i16_u16(c->w16, c->i16, x, n);
        c->w16 += n;
        c->i16 += n;
        break;
    }
    return acc;
}


void kml_mat_vec_q(const kml_mat_q *m, const int16_t *x, uint8_t shift, int16_t *y)
{
    int16_t *end = y + m->cols;
    if (m->layout == KML_MAT_SPARSE && m->wbits == 8 && m->idx8) {
        kml_sp8walk_ c;
        kml_sp8walk_init_(&c, m);
        for (; y != end; y++) *y = kml_sat16(kml_rshift_round(kml_sp8walk_next_(&c, x), shift));
    } else if (m->layout == KML_MAT_BITMAP && m->wbits == 8) {
        kml_bm8walk_ c;
        kml_bm8walk_init_(&c, m);
        for (; y != end; y++) *y = kml_sat16(kml_rshift_round(kml_bm8walk_next_(&c, x), shift));
    } else {
        kml_colwalk_ c;
        kml_colwalk_init_(&c, m);
        for (; y != end; y++) *y = kml_sat16(kml_rshift_round(kml_colwalk_next_(&c, x), shift));
    }
}

int32_t kml_mat_colsum_max_q(const kml_mat_q *m)
{
    int32_t best = 0;
    uint16_t j, RB = KML_BITMAP_COL_BYTES(m->rows);
    uint32_t next = 0; /* bitmap: first value of column j */
    for (j = 0; j < m->cols; j++) {
        int32_t s = 0;
        uint32_t k, lo, hi;
        if (m->layout == KML_MAT_DENSE) {
            lo = (uint32_t)j * m->rows;
            hi = lo + m->rows;
        } else if (m->layout == KML_MAT_BITMAP) {
            lo = next;
            hi = next = lo + kml_bitmap_count_(m->bitmap + (uint32_t)j * RB, RB);
        } else {
            lo = KML_READ_U16(m->colptr + j);
            hi = KML_READ_U16(m->colptr + j + 1);
        }
        for (k = lo; k < hi; k++) {
            int32_t w = m->wbits == 8 ? (int32_t)KML_READ_I8(m->w8 + k) : (int32_t)KML_READ_I16(m->w16 + k);
            s += w < 0 ? -w : w;
            if (s > 0x40000000L) break; /* far past the bound; stop before overflowing */
        }
        if (s > best) best = s;
    }
    return best;
}

kml_status kml_mat_validate_index_(uint16_t rows, uint16_t cols, uint16_t nnz, const uint16_t *colptr,
                                   const uint8_t *idx8, const uint16_t *idx16)
{
    uint16_t j;
    if (!colptr) return KML_E_NULL;
    if ((rows <= 256 && !idx8) || (rows > 256 && !idx16)) return KML_E_NULL;
    if (KML_READ_U16(colptr) != 0 || KML_READ_U16(colptr + cols) != nnz) return KML_E_INDEX;
    for (j = 0; j < cols; j++) {
        uint16_t k = KML_READ_U16(colptr + j), end = KML_READ_U16(colptr + j + 1);
        int32_t prev = -1;
        if (end < k) return KML_E_INDEX;
        for (; k < end; k++) {
            int32_t r = rows <= 256 ? (int32_t)KML_READ_U8(idx8 + k) : (int32_t)KML_READ_U16(idx16 + k);
            if (r <= prev || r >= rows) return KML_E_INDEX;
            prev = r;
        }
    }
    return KML_OK;
}

kml_status kml_mat_validate_bitmap_(uint16_t rows, uint16_t cols, uint16_t nnz, const uint8_t *bitmap)
{
    uint16_t j, RB = KML_BITMAP_COL_BYTES(rows);
    uint8_t stray = (uint8_t)(rows % 8u ? 0xFFu << (rows % 8u) : 0u); /* bits of the last byte beyond rows */
    uint32_t total = 0;
    if (!bitmap) return KML_E_NULL;
    if (rows > KML_BITMAP_MAX_ROWS) return KML_E_DIMS;
    for (j = 0; j < cols; j++) {
        const uint8_t *col = bitmap + (uint32_t)j * RB;
        if (KML_READ_U8(col + RB - 1) & stray) return KML_E_INDEX;
        total += kml_bitmap_count_(col, RB);
    }
    return total == nnz ? KML_OK : KML_E_INDEX;
}

kml_status kml_mat_validate_q(const kml_mat_q *m, uint16_t expect_rows, uint16_t expect_cols)
{
    kml_status s;
    if (!m) return KML_E_NULL;
    if (m->rows == 0 || m->cols == 0) return KML_E_DIMS;
    if ((expect_rows && m->rows != expect_rows) || (expect_cols && m->cols != expect_cols)) return KML_E_DIMS;
    if (m->wbits != 8 && m->wbits != 16) return KML_E_LAYOUT;
    if ((m->wbits == 8 && !m->w8) || (m->wbits == 16 && !m->w16)) return KML_E_NULL;
    if (m->q > KML_Q_MAX_SHIFT) return KML_E_QFORMAT;
    if (m->layout == KML_MAT_DENSE) {
        if ((uint32_t)m->rows * m->cols > 65535u) return KML_E_DIMS;
    } else if (m->layout == KML_MAT_SPARSE) {
        s = kml_mat_validate_index_(m->rows, m->cols, m->nnz, m->colptr, m->idx8, m->idx16);
        if (s != KML_OK) return s;
    } else if (m->layout == KML_MAT_BITMAP) {
        s = kml_mat_validate_bitmap_(m->rows, m->cols, m->nnz, m->bitmap);
        if (s != KML_OK) return s;
    } else {
        return KML_E_LAYOUT;
    }
    if (kml_mat_colsum_max_q(m) > 32768L) return KML_E_OVERFLOW;
    return KML_OK;
}

uint32_t kml_mat_flash_bytes_q(const kml_mat_q *m)
{
    uint32_t wb = m->wbits == 8 ? 1u : 2u;
    if (m->layout == KML_MAT_DENSE) return (uint32_t)m->rows * m->cols * wb;
    if (m->layout == KML_MAT_BITMAP) return (uint32_t)m->nnz * wb + (uint32_t)m->cols * KML_BITMAP_COL_BYTES(m->rows);
    return (uint32_t)m->nnz * (wb + (m->rows <= 256 ? 1u : 2u)) + 2u * ((uint32_t)m->cols + 1u);
}

