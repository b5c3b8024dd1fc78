/* golden_device.c: the golden integer models of deploy_q_golden.h as a bare firmware program (no
 * stdio): main() returns 0 when every state and logit is bit-exact, else a bit mask (1, 2, 4: models
 * ga, ra, gt; 128, 256: gh, rh (hardSigm); 8: the dense int8 dot on extreme values; 16: the test's own sum; 32: the sparse int8 dot;
 * 64: the dense int16 dot).
 * Checked in simavr (ATmega328P, asm and -DKML_NO_ASM C loops both exit 0):
 *   avr-gcc -mmcu=atmega328p -Os -std=c99 -ffunction-sections -fdata-sections -Ideploy/include -Itests \
 *       tests/golden/golden_device.c deploy/src/kml_*.c -Wl,--gc-sections -o g.elf && simavr_run -q g.elf */
#include "kiloml/deploy.h"
#include "golden/deploy_q_models.h"
static int run(const kml_rnn_q *m, const int16_t *X, const int16_t *hs, const int32_t *lg, int T)
{
    static int16_t h[16], buf[64];
    int32_t logits[8];
    int bad = 0;
    kml_rnn_state_q st = {h, 16};
    kml_rnn_scratch_q sc = {buf, 64};
    if (kml_rnn_init_q(m, &st, &sc) != KML_OK) return 50;
    for (int t = 0; t < T; t++) {
        kml_rnn_step_q(m, X + t * m->D, &st, &sc);
        for (int j = 0; j < (int)m->H; j++) bad += h[j] != hs[t * m->H + j];
    }
    kml_rnn_logits_q(m, &st, logits);
    for (int k = 0; k < (int)m->C; k++) bad += logits[k] != lg[k];
    return bad;
}
int main(void)
{
    kml_rnn_q a = model_ga(), b = model_ra(), c = model_gt();
    kml_rnn_q d = model_gh(), e = model_rh();
    int bad = (run(&a, ga_X, ga_hs, ga_logits, 4) ? 1 : 0) | (run(&b, ra_X, ra_hs, ra_logits, 4) ? 2 : 0) | (run(&c, gt_X, gt_hs, gt_logits, 4) ? 4 : 0);
    bad |= (run(&d, gh_X, gh_hs, gh_logits, 4) ? 128 : 0) | (run(&e, rh_X, rh_hs, rh_logits, 4) ? 256 : 0);
    /* dense int8 dot against a plain sum, extremes included */
    static const int8_t w[6] KML_FLASH = {-128, 127, -128, 127, 1, -1};
    int16_t x[6] = {-32768, 32767, 32767, -32768, -32768, 32767};
    kml_mat_q m = {6, 1, KML_MAT_DENSE, 8, 0, 0, w, 0, 0, 0, 0, 0};
    int32_t exp = 0;
    for (int i = 0; i < 6; i++) exp += (int32_t)KML_READ_I8(w + i) * x[i];
    bad |= kml_mat_dot_col_q(&m, x, 0) != exp ? 8 : 0;
    bad |= 16 * (exp != (int32_t)128 * 32768 + (int32_t)127 * 32767 - (int32_t)128 * 32767 - (int32_t)127 * 32768 - 32768 - 32767);
    /* sparse int8 (uint8 indices) on the same extremes: rows 0, 2, 3, 5 of x */
    static const int8_t sw[4] KML_FLASH = {-128, -128, 127, -1};
    static const uint8_t si[4] KML_FLASH = {0, 2, 3, 5};
    static const uint16_t sp[2] KML_FLASH = {0, 4};
    kml_mat_q sm = {6, 1, KML_MAT_SPARSE, 8, 0, 4, sw, 0, sp, si, 0, 0};
    int32_t sexp = (int32_t)128 * 32768 - (int32_t)128 * 32767 - (int32_t)127 * 32768 - 32767;
    bad |= kml_mat_dot_col_q(&sm, x, 0) != sexp ? 32 : 0;
    /* dense int16 on extremes: both signs of every byte combination */
    static const int16_t w16[6] KML_FLASH = {-32768, 32767, -32768, 255, -256, 1};
    kml_mat_q dm = {6, 1, KML_MAT_DENSE, 16, 0, 0, 0, w16, 0, 0, 0, 0};
    int16_t x16[6] = {-32768, -32768, 32767, -257, 255, -1}; /* |sum| < 2^31 */
    int32_t dexp = 1073741824L - 1073709056L - 1073709056L - 65535L - 65280L - 1L;
    bad |= kml_mat_dot_col_q(&dm, x16, 0) != dexp ? 64 : 0;
    return bad;
}
