/* kml_internal.h: helpers shared by the deploy/ sources, not part of the public surface. */
#ifndef KILOML_KML_INTERNAL_H
#define KILOML_KML_INTERNAL_H

#include "kiloml/kml_mat.h"

/* Column pointers and row indices of a sparse matrix (kml_mat.h), whatever the value type. */
kml_status kml_mat_validate_index_(uint16_t rows, uint16_t cols, uint16_t nnz, const uint16_t *colptr,
                                   const uint8_t *idx8, const uint16_t *idx16);
/* The bitmap of a KML_MAT_BITMAP matrix (kml_mat.h): present, set bits == nnz, no bit at or beyond `rows`. */
kml_status kml_mat_validate_bitmap_(uint16_t rows, uint16_t cols, uint16_t nnz, const uint8_t *bitmap);
/* Number of set bits in the first `nbytes` bytes of a bitmap in flash. */
uint16_t kml_bitmap_count_(const uint8_t *bitmap, uint32_t nbytes);
/* Bytes per column of a bitmap: ceil(rows / 8); at most 255 (the AVR kernel counts them in a byte). */
#define KML_BITMAP_COL_BYTES(rows) ((uint16_t)(((rows) + 7u) >> 3))

/* The hot inline helpers below stay inline under -Os too (a call costs ~25 cycles on a Cortex-M0+).
 * Not forced on AVR, where flash is short and the compiler's -Os choice costs only a few % of speed. */
#if defined(__GNUC__) && !defined(__AVR__)
#define KML_INLINE_ static inline __attribute__((always_inline))
#else
#define KML_INLINE_ static inline
#endif

/* Walks the columns of an integer matrix in order (column 0, 1, ...): the weight and index
 * pointers advance with the columns, so a product over all columns reads each column pointer
 * once and never multiplies an index (kml_mat_vec_q and the cells' per-unit loops use it).
 * kml_colwalk_next_ returns Σ_i x[i]·w_ij of the next column j, the same integer as
 * kml_mat_dot_col_q(m, x, j). */
typedef struct kml_colwalk_ {
    const int8_t *w8;
    const int16_t *w16;
    const uint8_t *i8;
    const uint16_t *i16;
    const uint16_t *cp;  /* sparse: &colptr[j + 1] of the next column j */
    const uint8_t *bm;   /* bitmap: the first bitmap byte of the next column */
    uint16_t rows;
    uint16_t k;          /* sparse: colptr[j] of the next column */
    uint8_t kind;        /* see kml_mat_q.c */
} kml_colwalk_;

void kml_colwalk_init_(kml_colwalk_ *c, const kml_mat_q *m);
int32_t kml_colwalk_next_(kml_colwalk_ *c, const int16_t *x);

/* Sparse int8 column with uint8 row indices, the hot loop of a pruned model, given by the END of
 * its value and index runs and k = -(number of nonzeros):  Σ_{k<=i<0} wend[i] · x[iend[i]].
 *
 * On ARMv6-M (Cortex-M0/M0+) it is inline Thumb-1, so that a column costs no call: both runs are
 * read with the one counter k running up to 0 (register-offset loads: Thumb-1 has no immediate
 * form of ldrsb / ldrsh), per nonzero ldrb (index), lsls (to a byte offset), ldrsh (x), ldrsb
 * (weight), muls, adds, adds k: 10 cycles by the Cortex-M0+ TRM; four nonzeros per loop iteration
 * (+2 for the taken bne); the n mod 4 left over run first through the same block (two bit tests
 * of k, about 6 cycles a column). Elsewhere (host, AVR: its own hand-written loop) it calls the
 * out-of-line kernel of kml_mat_q.c. KML_NO_ASM selects the C loop everywhere. Same integer on
 * every target: the host-vs-device tests compare every output bit. */
int32_t kml_dot_sp8_(const int8_t *w, const uint8_t *idx, const int16_t *x, uint16_t n);

#if defined(__ARM_ARCH_6M__) && !defined(KML_NO_ASM)
#define KML_SP8_MAC_                                 \
    "ldrb %[t], [%[ip], %[k]]\n\t"                   \
    "lsls %[t], %[t], #1\n\t"                        \
    "ldrsh %[t], [%[x], %[t]]\n\t"                   \
    "ldrsb %[u], [%[wp], %[k]]\n\t"                  \
    "muls %[t], %[u]\n\t"                            \
    "adds %[acc], %[acc], %[t]\n\t"                  \
    "adds %[k], %[k], #1\n\t"
KML_INLINE_ int32_t kml_dot_sp8_end_(const int8_t *wend, const uint8_t *iend, const int16_t *x, int32_t k)
{
    int32_t acc = 0, t, u;
    /* GCC switches to divided syntax around inline asm in Thumb-1 code (and back after it) */
    __asm__(".syntax unified\n\t"
            "lsrs %[t], %[k], #1\n\t" /* C = bit 0 of k = bit 0 of n */
            "bcc 2f\n\t"
            KML_SP8_MAC_
            "2:\n\t"
            "lsrs %[t], %[k], #2\n\t" /* k now even: C = bit 1 of -k */
            "bcc 3f\n\t"
            KML_SP8_MAC_
            KML_SP8_MAC_
            "3:\n\t"
            "cmp %[k], #0\n\t"
            "beq 4f\n"
            "1:\n\t"
            KML_SP8_MAC_
            KML_SP8_MAC_
            KML_SP8_MAC_
            KML_SP8_MAC_
            "bne 1b\n"
            "4:\n\t"
            : [acc] "+l"(acc), [k] "+l"(k), [t] "=&l"(t), [u] "=&l"(u)
            : [ip] "l"(iend), [wp] "l"(wend), [x] "l"(x)
            : "cc", "memory");
    return acc;
}
#else
KML_INLINE_ int32_t kml_dot_sp8_end_(const int8_t *wend, const uint8_t *iend, const int16_t *x, int32_t k)
{
    return kml_dot_sp8_(wend + k, iend + k, x, (uint16_t)-k);
}
#endif

/* Walks the columns of a sparse int8 / uint8-index matrix: the kml_colwalk_ of that case, inline. */
typedef struct kml_sp8walk_ {
    const int8_t *w;
    const uint8_t *i;
    const uint16_t *cp;  /* &colptr[j + 1] of the next column j */
    uint16_t prev;       /* colptr[j] */
} kml_sp8walk_;

KML_INLINE_ void kml_sp8walk_init_(kml_sp8walk_ *c, const kml_mat_q *m)
{
    c->w = m->w8;
    c->i = m->idx8;
    c->cp = m->colptr + 1;
    c->prev = 0;
}

KML_INLINE_ int32_t kml_sp8walk_next_(kml_sp8walk_ *c, const int16_t *x)
{
    uint16_t end = KML_READ_U16(c->cp), start = c->prev;
    c->cp++;
    c->prev = end;
#if defined(__ARM_ARCH_6M__) && !defined(KML_NO_ASM)
    return kml_dot_sp8_end_(c->w + end, c->i + end, x, (int32_t)start - (int32_t)end);
#else
    return kml_dot_sp8_(c->w + start, c->i + start, x, (uint16_t)(end - start)); /* 16-bit count (AVR) */
#endif
}

/* Bitmap int8 columns (KML_MAT_BITMAP, kml_mat.h). kml_bm_off_[b] = 2 x (trailing zeros of b): the
 * byte offset into x of the lowest set bit's row (flash; kml_mat_q.c). kml_dot_bm8_ is the column
 * kernel (Σ over the set bits of ceil(R/8) pattern bytes at bm, values at *wp, advanced past them);
 * kml_dot_bm8_inl_ the same, inline on ARMv6-M (no call per column), a call elsewhere. */
extern const uint8_t kml_bm_off_[256] KML_FLASH;
int32_t kml_dot_bm8_(const uint8_t *bm, const int8_t **wp, const int16_t *x, uint16_t R);

#if defined(__ARM_ARCH_6M__) && !defined(KML_NO_ASM)
/* ARMv6-M: the set bits of one nonzero pattern byte b in Thumb-1, per set bit: ldrb (offset from the
 * table), ldrsh (x, register offset), ldrb + sxtb (weight), adds, muls, adds, then b &= b - 1
 * (subs, ands) and bne: 14 cycles by the Cortex-M0+ TRM (the C loop spills registers: about 24).
 * Same integer as the C loop below (host-vs-device tests compare every output bit). */
KML_INLINE_ int32_t kml_bm8_byte_(int32_t acc, uint32_t b, const int16_t *xp, const int8_t **wp)
{
    const int8_t *w = *wp;
    uint32_t t, u;
    __asm__(".syntax unified\n"
            "1:\n\t"
            "ldrb %[t], [%[tab], %[b]]\n\t"
            "ldrsh %[t], [%[xp], %[t]]\n\t"
            "ldrb %[u], [%[w]]\n\t"
            "sxtb %[u], %[u]\n\t"
            "adds %[w], %[w], #1\n\t"
            "muls %[t], %[u]\n\t"
            "adds %[acc], %[acc], %[t]\n\t"
            "subs %[t], %[b], #1\n\t"
            "ands %[b], %[t]\n\t"
            "bne 1b\n\t"
            : [acc] "+l"(acc), [b] "+l"(b), [w] "+l"(w), [t] "=&l"(t), [u] "=&l"(u)
            : [tab] "l"(kml_bm_off_), [xp] "l"(xp)
            : "cc", "memory");
    *wp = w;
    return acc;
}

KML_INLINE_ int32_t kml_dot_bm8_inl_(const uint8_t *bm, const int8_t **wp, const int16_t *x, uint16_t R)
{
    int32_t acc = 0;
    const int8_t *w = *wp;
    const uint8_t *end = bm + KML_BITMAP_COL_BYTES(R);
    /* x is advanced as an address (8 rows per byte): the last step may point past x[R], never read */
    uintptr_t xa = (uintptr_t)x;
    for (; bm != end; bm++, xa += 16u) {
        uint32_t b = *bm; /* ARM: flash is memory */
        if (b) acc = kml_bm8_byte_(acc, b, (const int16_t *)xa, &w);
    }
    *wp = w;
    return acc;
}
#else
KML_INLINE_ int32_t kml_dot_bm8_inl_(const uint8_t *bm, const int8_t **wp, const int16_t *x, uint16_t R)
{
    return kml_dot_bm8_(bm, wp, x, R);
}
#endif

/* Walks the columns of a bitmap int8 matrix: the kml_colwalk_ of that case, inline. */
typedef struct kml_bm8walk_ {
    const int8_t *w;
    const uint8_t *bm;
    uint16_t rows, rb;
} kml_bm8walk_;

KML_INLINE_ void kml_bm8walk_init_(kml_bm8walk_ *c, const kml_mat_q *m)
{
    c->w = m->w8;
    c->bm = m->bitmap;
    c->rows = m->rows;
    c->rb = KML_BITMAP_COL_BYTES(m->rows);
}

KML_INLINE_ int32_t kml_bm8walk_next_(kml_bm8walk_ *c, const int16_t *x)
{
    int32_t acc = kml_dot_bm8_inl_(c->bm, &c->w, x, c->rows);
    c->bm += c->rb;
    return acc;
}

#endif
