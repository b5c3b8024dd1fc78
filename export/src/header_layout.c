/* header_layout.c: size of the deploy descriptors (kml_rnn_f32 / kml_rnn_q) as each target's C
 * compiler lays them out, so the generator's flash/RAM figures hold for the chip, not for the
 * workstation (a 64-bit host's pointers make the descriptor three times larger than on AVR).
 * The field lists mirror deploy/include/kiloml/kml_mat.h and kml_rnn.h; test_header checks that
 * the host layout equals sizeof for every struct (so a field added there and not here shows up)
 * and pins the AVR / Cortex-M0+ sizes measured with avr-gcc 5.4 and arm-none-eabi-gcc 12. */
#include "kiloml/header.h"
#include "header_layout.h"

typedef struct {
    size_t size, align;
} lay;

typedef struct {
    size_t ptr, aptr, a16, a32; /* pointer size, alignment of pointers and of 16- and 32-bit scalars */
} abi;

static abi abi_of(kml_target t)
{
    abi a;
    switch (t) {
    case KML_TARGET_ATMEGA328P: a.ptr = 2, a.aptr = 1, a.a16 = 1, a.a32 = 1; break; /* avr-gcc: all byte aligned */
    case KML_TARGET_CORTEX_M0PLUS: a.ptr = 4, a.aptr = 4, a.a16 = 2, a.a32 = 4; break;
    default: a.ptr = sizeof(void *), a.aptr = _Alignof(void *), a.a16 = _Alignof(uint16_t), a.a32 = _Alignof(uint32_t); break;
    }
    return a;
}

static lay field(lay s, size_t size, size_t align)
{
    s.size = (s.size + align - 1) / align * align + size;
    if (align > s.align) s.align = align;
    return s;
}

static lay sub(lay s, lay inner) { return field(s, inner.size, inner.align); }

static lay done(lay s)
{
    s.size = (s.size + s.align - 1) / s.align * s.align;
    return s;
}

#define U8(s) s = field(s, 1, 1)
#define U16(s) s = field(s, 2, a.a16)
#define F32(s) s = field(s, 4, a.a32)
#define PTR(s) s = field(s, a.ptr, a.aptr)

static lay mat_f32(abi a)
{
    lay s = {0, 1};
    U16(s), U16(s), U8(s), U16(s);          /* rows cols layout nnz */
    PTR(s), PTR(s), PTR(s), PTR(s), PTR(s); /* val colptr idx8 idx16 bitmap */
    return done(s);
}

static lay mat_q(abi a)
{
    lay s = {0, 1};
    U16(s), U16(s), U8(s), U8(s), U8(s), U16(s); /* rows cols layout wbits q nnz */
    PTR(s), PTR(s), PTR(s), PTR(s), PTR(s), PTR(s); /* w8 w16 colptr idx8 idx16 bitmap */
    return done(s);
}

static lay lin_f32(abi a)
{
    lay s = {0, 1};
    U8(s);                                  /* rank */
    s = sub(s, mat_f32(a)), s = sub(s, mat_f32(a));
    return done(s);
}

static lay lin_q(abi a)
{
    lay s = {0, 1};
    U8(s), U8(s);                           /* rank q_mid */
    s = sub(s, mat_q(a)), s = sub(s, mat_q(a));
    return done(s);
}

size_t kml_layout_size(kml_layout_struct which, kml_target t)
{
    abi a = abi_of(t);
    lay s = {0, 1};
    switch (which) {
    case KML_LAYOUT_MAT_F32: return mat_f32(a).size;
    case KML_LAYOUT_MAT_Q: return mat_q(a).size;
    case KML_LAYOUT_LIN_F32: return lin_f32(a).size;
    case KML_LAYOUT_LIN_Q: return lin_q(a).size;
    case KML_LAYOUT_RNN_F32:
        U16(s), U8(s), U8(s), U8(s), U16(s), U16(s), U16(s); /* version cell gate_nl update_nl D H C */
        s = sub(s, lin_f32(a)), s = sub(s, lin_f32(a));      /* W U */
        PTR(s), PTR(s);                                       /* b_h b_g */
        F32(s), F32(s), F32(s), F32(s);                       /* s_alpha s_beta s_zeta s_nu */
        s = sub(s, mat_f32(a));                               /* V */
        PTR(s), PTR(s), PTR(s);                               /* v mean std */
        return done(s).size;
    case KML_LAYOUT_RNN_Q:
        U16(s), U8(s), U8(s), U8(s), U16(s), U16(s), U16(s); /* version cell gate_nl update_nl D H C */
        U8(s), U8(s), U8(s), U8(s), U8(s);                    /* q_in q_x q_h q_a q_g */
        s = sub(s, lin_q(a)), s = sub(s, lin_q(a));          /* W U */
        PTR(s), PTR(s);                                       /* b_h b_g */
        U16(s), U16(s), U16(s), U16(s);                       /* s_alpha s_beta s_zeta s_nu */
        s = sub(s, mat_q(a));                                 /* V */
        PTR(s), PTR(s), PTR(s);                               /* v norm_m norm_s */
        U8(s);                                                /* norm_shift */
        return done(s).size;
    }
    return 0;
}
