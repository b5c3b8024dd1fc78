/* quantize.c: calibration -> starting formats -> (flash budget) -> shift search -> integer model.
 * The procedure is described in kiloml/quantize.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/quantize.h"
#include "kiloml/rng.h"

void kml_quant_opts_init(kml_quant_opts *o)
{
    memset(o, 0, sizeof *o);
    o->bits = 8;
    o->search = 1;
    o->radius = 2;
    o->passes = 2;
    o->objective = KML_QOBJ_AGREE;
    o->val_frac = 0.1;
    o->max_val = 1000;
    o->max_calib = 2000;
}

int kml_qmodel_score(const kml_qmodel *qm, const kml_dataset *raw, const int32_t *float_pred, int *correct,
                     int *disagree, kml_error *err)
{
    int32_t *pred = malloc((size_t)(raw->n ? raw->n : 1) * sizeof(int32_t));
    if (!pred) return kml_error_set(err, "out of memory");
    if (kml_qmodel_predict(qm, raw, pred, err)) {
        free(pred);
        return -1;
    }
    *correct = *disagree = 0;
    for (int i = 0; i < raw->n; i++) {
        *correct += pred[i] == raw->y[i];
        if (float_pred) *disagree += pred[i] != float_pred[i];
    }
    free(pred);
    return 0;
}

/* rows idx[0..k) of src into dst (fresh arrays) */
static int subset(const kml_dataset *src, const int *idx, int k, kml_dataset *dst, kml_error *err)
{
    size_t per = (size_t)src->T * src->F;
    memset(dst, 0, sizeof *dst);
    dst->n = k;
    dst->T = src->T;
    dst->F = src->F;
    dst->X = malloc((size_t)k * per * sizeof(float));
    dst->y = malloc((size_t)k * sizeof(int32_t));
    if (src->len) dst->len = malloc((size_t)k * sizeof(int32_t));
    if (!dst->X || !dst->y || (src->len && !dst->len)) {
        free(dst->X);
        free(dst->y);
        free(dst->len);
        return kml_error_set(err, "out of memory");
    }
    for (int i = 0; i < k; i++) {
        memcpy(dst->X + (size_t)i * per, src->X + (size_t)idx[i] * per, per * sizeof(float));
        dst->y[i] = src->y[idx[i]];
        if (src->len) dst->len[i] = src->len[idx[i]];
    }
    return 0;
}

typedef struct {
    int ok, correct, disagree;
    uint32_t bytes;
} score;

/* 1 when a beats b; on equal scores the smaller model wins only when by_bytes (the budget pick):
 * the shift search moves only on a strict improvement, so it never drifts to a coarser grid that
 * merely ties on the validation split. */
static int better(const score *a, const score *b, kml_qobjective obj, int by_bytes)
{
    if (!a->ok) return 0;
    if (!b->ok) return 1;
    if (obj == KML_QOBJ_AGREE) {
        if (a->disagree != b->disagree) return a->disagree < b->disagree;
        if (a->correct != b->correct) return a->correct > b->correct;
    } else {
        if (a->correct != b->correct) return a->correct > b->correct;
        if (a->disagree != b->disagree) return a->disagree < b->disagree;
    }
    return by_bytes && a->bytes < b->bytes;
}

typedef struct {
    const kml_model *m;
    const kml_dataset *val;
    const int32_t *fpred;
    const kml_calib *cal;
    long budget;
    int candidates;
} ctx;

/* Build and score formats f; an invalid or over-budget candidate scores ok = 0 (not an error). */
static int evaluate(ctx *c, const kml_qformat *f, score *s, kml_qformat *built, kml_error *err)
{
    kml_qmodel qm;
    kml_error e2;
    memset(s, 0, sizeof *s);
    if (kml_qmodel_build(c->m, f, &qm, &e2)) return 0;
    kml_qsize sz;
    kml_qmodel_size(&qm, &sz);
    s->bytes = sz.flash_bytes;
    if (built) *built = qm.fmt;
    if (c->budget > 0 && (long)sz.flash_bytes > c->budget) {
        kml_qmodel_free(&qm);
        return 0;
    }
    int rc = kml_qmodel_score(&qm, c->val, c->fpred, &s->correct, &s->disagree, err);
    kml_qmodel_free(&qm);
    if (rc) return -1;
    s->ok = 1;
    c->candidates++;
    return 0;
}

/* Keep the normalisation shift the largest that fits int16 when q_x / q_in move. */
static void fit_norm_shift(const kml_model *m, kml_qformat *f)
{
    if (!m->norm.mean) {
        f->q_in = f->q_x;
        return;
    }
    double smax = 0;
    for (int k = 0; k < m->cfg.D; k++)
        if (1.0 / m->norm.std[k] > smax) smax = 1.0 / m->norm.std[k];
    int sh = 30;
    while (sh > 0 && smax * ldexp(1.0, sh + f->q_x - f->q_in) > 32767) sh--;
    f->norm_shift = sh;
}

static int search(ctx *c, const kml_quant_opts *o, kml_qformat *f, score *best, kml_error *err)
{
    const kml_model_config *cfg = &c->m->cfg;
    int *vars[16], nv = 0;
    const char *names[16];
#define VAR(field, nm)          \
    do {                        \
        vars[nv] = &f->field;   \
        names[nv++] = nm;       \
    } while (0)
    VAR(q_x, "q_x");
    if (c->m->norm.mean) VAR(q_in, "q_in");
    VAR(q_h, "q_h");
    VAR(q_a, "q_a");
    VAR(q_g, "q_g");
    if (cfg->rank_w) VAR(q_mid_w, "q_mid_w");
    if (cfg->rank_u) VAR(q_mid_u, "q_mid_u");
    for (int s = 0; s < KML_QS_COUNT; s++)
        if (kml_qslot_param(cfg, (kml_qslot)s) >= 0) {
            vars[nv] = &f->q_mat[s];
            names[nv++] = kml_qslot_name(cfg, (kml_qslot)s);
        }
#undef VAR
    for (int pass = 0; pass < o->passes; pass++) {
        int improved = 0;
        for (int v = 0; v < nv; v++) {
            int start = *vars[v], best_val = start;
            for (int d = -o->radius; d <= o->radius; d++) {
                if (d == 0) continue;
                kml_qformat t = *f;
                int *tv = (int *)((char *)&t + ((char *)vars[v] - (char *)f));
                *tv = start + d;
                if (vars[v] == &f->q_x || vars[v] == &f->q_in) fit_norm_shift(c->m, &t);
                score s;
                kml_qformat built;
                if (evaluate(c, &t, &s, &built, err)) return -1;
                /* the build may lower a weight q (accumulator bound): a no-op move is not a move */
                if (s.ok && better(&s, best, o->objective, 0)) {
                    *best = s;
                    best_val = start + d;
                    if (vars[v] == &f->q_x || vars[v] == &f->q_in) f->norm_shift = t.norm_shift;
                }
            }
            if (best_val != start) {
                *vars[v] = best_val;
                improved = 1;
                if (o->log)
                    fprintf(o->log, "  search: %-8s %2d -> %2d   disagree %d  correct %d / %d\n", names[v], start,
                            best_val, best->disagree, best->correct, c->val->n);
            }
        }
        if (!improved) break;
    }
    return 0;
}

static int present_slots(const kml_model_config *cfg, int *slots)
{
    int k = 0;
    for (int s = 0; s < KML_QS_COUNT; s++)
        if (kml_qslot_param(cfg, (kml_qslot)s) >= 0) slots[k++] = s;
    return k;
}

static int budget_pick(ctx *c, const kml_quant_opts *o, kml_qformat *f, score *best, kml_error *err)
{
    const kml_model_config *cfg = &c->m->cfg;
    int slots[KML_QS_COUNT], k = present_slots(cfg, slots);
    uint32_t smallest = UINT32_MAX;
    if (o->log) {
        fprintf(o->log, "flash budget %ld bytes: 8/16-bit assignments tried (validation split)\n ", o->flash_budget);
        for (int i = 0; i < k; i++) fprintf(o->log, " %4s", kml_qslot_name(cfg, (kml_qslot)slots[i]));
        fprintf(o->log, "  flash_bytes  fits  disagree  correct\n");
    }
    best->ok = 0;
    for (int mask = 0; mask < (1 << k); mask++) {
        int bits[KML_QS_COUNT];
        for (int s = 0; s < KML_QS_COUNT; s++) bits[s] = 8;
        for (int i = 0; i < k; i++) bits[slots[i]] = (mask >> i) & 1 ? 16 : 8;
        kml_qformat t, built;
        kml_qformat_from_ranges(c->m, c->cal, bits, &t);
        t.sparse_fmt = o->sparse_fmt;
        score s;
        if (evaluate(c, &t, &s, &built, err)) return -1;
        if (s.bytes && s.bytes < smallest) smallest = s.bytes;
        if (o->log) {
            fprintf(o->log, " ");
            for (int i = 0; i < k; i++) fprintf(o->log, " %4d", bits[slots[i]]);
            if (s.ok)
                fprintf(o->log, "  %11u  yes   %8d  %7d\n", s.bytes, s.disagree, s.correct);
            else if (s.bytes)
                fprintf(o->log, "  %11u  no\n", s.bytes);
            else
                fprintf(o->log, "  %11s  invalid formats\n", "-");
        }
        if (s.ok && better(&s, best, o->objective, 1)) {
            *best = s;
            *f = t;
        }
    }
    if (!best->ok)
        return kml_error_set(err, "no 8/16-bit assignment fits the flash budget of %ld bytes (the smallest "
                                  "integer model takes %u bytes)",
                             o->flash_budget, smallest == UINT32_MAX ? 0u : smallest);
    if (o->log) {
        fprintf(o->log, "chosen:");
        for (int i = 0; i < k; i++) fprintf(o->log, " %s=%d", kml_qslot_name(cfg, (kml_qslot)slots[i]), f->bits[slots[i]]);
        fprintf(o->log, " (%u bytes)\n", best->bytes);
    }
    return 0;
}

int kml_quantize(const kml_model *m, const kml_dataset *train_raw, const kml_quant_opts *o, kml_qmodel *out,
                 kml_quant_report *rep, kml_error *err)
{
    memset(out, 0, sizeof *out);
    memset(rep, 0, sizeof *rep);
    if (kml_qmodel_supported(m, err)) return -1;
    if (o->bits != 8 && o->bits != 16) return kml_error_set(err, "--bits must be 8 or 16 (got %d)", o->bits);
    if (train_raw->n < 1) return kml_error_set(err, "no calibration series");
    if (kml_calib_run(m, train_raw, o->max_calib, &rep->calib, err)) return -1;
    /* validation split: a seeded sample of the training series */
    int n = train_raw->n;
    int nval = (int)(n * o->val_frac);
    if (nval < 100) nval = n < 100 ? n : 100;
    if (o->max_val > 0 && nval > o->max_val) nval = o->max_val;
    int *idx = malloc((size_t)n * sizeof(int));
    int32_t *fpred = malloc((size_t)nval * sizeof(int32_t));
    kml_dataset val;
    memset(&val, 0, sizeof val);
    int rc = -1;
    if (!idx || !fpred) {
        kml_error_set(err, "out of memory");
        goto done;
    }
    for (int i = 0; i < n; i++) idx[i] = i;
    kml_rng r;
    kml_rng_seed(&r, o->seed);
    kml_rng_shuffle(&r, idx, n);
    if (subset(train_raw, idx, nval, &val, err)) goto done;
    if (kml_float_predict(m, &val, fpred, err)) goto done;
    rep->n_val = nval;
    for (int i = 0; i < nval; i++) rep->val_correct_float += fpred[i] == val.y[i];

    int bits[KML_QS_COUNT];
    for (int s = 0; s < KML_QS_COUNT; s++) bits[s] = o->bits;
    kml_qformat f;
    kml_qformat_from_ranges(m, &rep->calib, bits, &f);
    f.sparse_fmt = o->sparse_fmt;
    rep->start = f;
    ctx c = {m, &val, fpred, &rep->calib, o->flash_budget, 0};
    score best;
    if (o->flash_budget > 0) {
        if (budget_pick(&c, o, &f, &best, err)) goto done;
    } else {
        if (evaluate(&c, &f, &best, NULL, err)) goto done;
        if (!best.ok) {
            /* the range-based start does not validate: say why */
            kml_qmodel t;
            if (kml_qmodel_build(m, &f, &t, err)) goto done;
            kml_qmodel_free(&t);
        }
    }
    if (o->log)
        fprintf(o->log, "start formats: q_in %d q_x %d q_h %d q_a %d q_g %d   disagree %d  correct %d / %d (float %d)\n",
                f.q_in, f.q_x, f.q_h, f.q_a, f.q_g, best.disagree, best.correct, nval, rep->val_correct_float);
    if (o->search && search(&c, o, &f, &best, err)) goto done;
    if (kml_qmodel_build(m, &f, out, err)) goto done;
    if (kml_qmodel_score(out, &val, fpred, &rep->val_correct_int, &rep->val_disagree, err)) {
        kml_qmodel_free(out);
        goto done;
    }
    rep->candidates = c.candidates;
    kml_qsize sz;
    kml_qmodel_size(out, &sz);
    rep->budget_fits = o->flash_budget <= 0 || (long)sz.flash_bytes <= o->flash_budget;
    rc = 0;
done:
    free(idx);
    free(fpred);
    free(val.X);
    free(val.y);
    free(val.len);
    return rc;
}
