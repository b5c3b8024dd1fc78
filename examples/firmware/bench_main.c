/* examples/firmware/bench_main.c: where the cycles of an integer model's step go.
 *
 * For each weight matrix of the model (W or W1, W2; U or U1, U2; V) it times x·M with the
 * runtime's own kernel (kml_mat_vec_q, the product the step uses), and then whole steps. With the
 * harness's per-region cycles the driver divides by the MACs of each matrix (rows × cols dense,
 * nnz sparse): cycles per multiply-accumulate, to hold beside the target's ideal.
 *
 * Output: "mat<id>=<name> <dense|sparse|bitmap> w<bits> macs=<n>" per matrix (region id), "bench_step"
 * (region 3, one kml_rnn_step_q), "DONE". Inputs are fixed pseudo-random int16 values; the
 * results are not printed (the model firmware checks those), only timed.
 * Build inputs: KML_MODEL_HEADER, KML_MODEL_NAME (integer model).
 */
#include <stdint.h>

#include "board.h"
#include "kiloml/deploy.h"
#include "out.h"

#include KML_MODEL_HEADER

#define KML_CAT_(a, b) a##b
#define KML_CAT(a, b) KML_CAT_(a, b)
#define P_(x) KML_CAT(KML_MODEL_NAME, x)
#define MODEL P_(_model)

#if !P_(_IS_INTEGER)
#error "bench_main.c times the integer kernels: export an integer model"
#endif

#define MAXV (P_(_H) > P_(_D) ? P_(_H) : P_(_D))
static int16_t in[MAXV];
static int16_t out[MAXV > P_(_C) ? MAXV : P_(_C)];
static int16_t h[P_(_STATE_ELEMS)];
static int16_t scratch[P_(_SCRATCH_ELEMS)];

static void report(uint8_t id, const char *name, const kml_mat_q *m)
{
    uint32_t macs = m->layout == KML_MAT_DENSE ? (uint32_t)m->rows * m->cols : m->nnz;
    KML_PUTS("mat");
    kml_out_u32(id);
    kml_board_putc('=');
    kml_out_str(name);
    if (m->layout == KML_MAT_DENSE) KML_PUTS(" dense w");
    else if (m->layout == KML_MAT_BITMAP) KML_PUTS(" bitmap w");
    else KML_PUTS(" sparse w");
    kml_out_u32(m->wbits);
    KML_PUTS(" macs=");
    kml_out_u32(macs);
    kml_out_nl();
}

/* x·M, timed as region id (the shift only scales the output) */
static void time_mat(uint8_t id, const char *name, const kml_mat_q *m)
{
    kml_mark(id);
    kml_mat_vec_q(m, in, 15, out);
    kml_mark((uint8_t)(id + 1));
    report(id, name, m);
}

int main(void)
{
    kml_rnn_state_q st = {h, P_(_STATE_ELEMS)};
    kml_rnn_scratch_q sc = {scratch, P_(_SCRATCH_ELEMS)};
    kml_board_init();
    if (kml_rnn_init_q(&MODEL, &st, &sc) != KML_OK) kml_board_exit(1);
    uint16_t seed = 12345u;
    for (uint16_t i = 0; i < MAXV; i++) {
        seed = (uint16_t)(seed * 25173u + 13849u);
        in[i] = (int16_t)(seed >> 3) - 4096; /* about ±1 in Q12 */
    }
    kml_mark(1);
    kml_mark(2);

    time_mat(7, MODEL.W.rank ? "W1" : "W", &MODEL.W.a);
    if (MODEL.W.rank) time_mat(9, "W2", &MODEL.W.b);
    time_mat(11, MODEL.U.rank ? "U1" : "U", &MODEL.U.a);
    if (MODEL.U.rank) time_mat(13, "U2", &MODEL.U.b);
    time_mat(15, "V", &MODEL.V);

    for (uint8_t t = 0; t < 8; t++) {
        kml_mark(3);
        kml_rnn_step_q(&MODEL, in, &st, &sc);
        kml_mark(4);
    }
    KML_PUTS("bench_step\nDONE\n");
    kml_board_exit(0);
    return 0;
}
