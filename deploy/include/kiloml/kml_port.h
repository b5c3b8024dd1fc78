/* kiloml/kml_port.h: what differs between the host, the AVR and the Cortex-M builds of the
 * device runtime, in one place.
 *
 * - KML_FLASH marks a const array that must stay in program memory (PROGMEM on AVR, nothing
 *   elsewhere: const data already lives in flash on ARM and in .rodata on the host).
 * - KML_READ_* read ONE element of such an array. Every read of a weight, bias, index or
 *   normalisation table in deploy/ goes through these macros, never through a plain `*p`,
 *   so the same source is correct on all three targets.
 * - The model DESCRIPTORS (kml_rnn_f32 / kml_rnn_q and the kml_mat_* they hold) are ordinary
 *   const structs: on AVR they are copied to RAM at start-up (.data), elsewhere they stay in
 *   flash. KML_DESC_IN_RAM says which, so a header can count them in <PREFIX>_RAM_BYTES.
 *
 * The runtime is C99, freestanding: no malloc, no stdio, no libm, no double, no int64.
 */
#ifndef KILOML_KML_PORT_H
#define KILOML_KML_PORT_H

#include <stddef.h>
#include <stdint.h>

/* Format of the descriptors below and of the headers `kiloml export` writes. Bumped whenever
 * a struct field, a number format or a kernel's rounding changes. A field appended at the end of
 * a struct that older headers leave zero (their designated initialisers) keeps the version: the
 * `bitmap` pointer of kml_mat_f32 / kml_mat_q (KML_MAT_BITMAP) came that way under version 1, so
 * headers and .q.kml files written before it still build and read; a header that uses it does not
 * compile against an older runtime (no such field). */
#define KML_DEPLOY_FORMAT_VERSION 1

#if defined(__AVR__)
#include <avr/pgmspace.h>
#define KML_FLASH PROGMEM
#define KML_READ_I8(p) ((int8_t)pgm_read_byte(p))
#define KML_READ_U8(p) ((uint8_t)pgm_read_byte(p))
#define KML_READ_I16(p) ((int16_t)pgm_read_word(p))
#define KML_READ_U16(p) ((uint16_t)pgm_read_word(p))
#define KML_READ_I32(p) ((int32_t)pgm_read_dword(p))
#define KML_READ_F32(p) (pgm_read_float(p))
#define KML_DESC_IN_RAM 1
#else
#define KML_FLASH
#define KML_READ_I8(p) (*(const int8_t *)(p))
#define KML_READ_U8(p) (*(const uint8_t *)(p))
#define KML_READ_I16(p) (*(const int16_t *)(p))
#define KML_READ_U16(p) (*(const uint16_t *)(p))
#define KML_READ_I32(p) (*(const int32_t *)(p))
#define KML_READ_F32(p) (*(const float *)(p))
#define KML_DESC_IN_RAM 0
#endif

/* Result of kml_*_init / kml_*_validate. Nothing in deploy/ prints. */
typedef enum kml_status {
    KML_OK = 0,
    KML_E_NULL,      /* a required pointer (model, array, state, scratch) is NULL */
    KML_E_CELL,      /* unknown cell kind */
    KML_E_DIMS,      /* a dimension is 0, too large, or two dimensions disagree */
    KML_E_LAYOUT,    /* unknown matrix layout or weight width */
    KML_E_INDEX,     /* a sparse column pointer or row index is out of range / not monotone */
    KML_E_QFORMAT,   /* a Q format gives a shift outside [0, 30] or a constant outside its range */
    KML_E_OVERFLOW,  /* a weight column could overflow the int32 accumulator (see kml_mat.h) */
    KML_E_NONLIN,    /* nonlinearity not available on this path */
    KML_E_SCRATCH,   /* state or scratch smaller than the model needs */
    KML_E_VERSION    /* descriptor written for another KML_DEPLOY_FORMAT_VERSION */
} kml_status;

/* A short constant name for a status ("KML_E_DIMS"), for hosts that want to print it. */
const char *kml_status_name(kml_status s);

#endif
