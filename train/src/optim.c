/* optim.c: Adam and Nesterov SGD with global-norm clipping and skipping of non-finite steps.
 * N = parameter count. All arithmetic per element is in float, the norm and the bias
 * corrections in double; the loops are plain and sequential, so results are reproducible. */
#include "kiloml/optim.h"

#include <math.h>
#include <string.h>

void kml_optim_config_init(kml_optim_config *c)
{
    c->kind = KML_OPT_ADAM;
    c->lr = 1e-2;
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-8;
    c->momentum = 0.9;
    c->clip = 5.0;
    c->decay_factor = 0.1;
    c->decay_epoch = -1;
    c->weight_decay = 0.0;
}

int kml_optim_parse(const char *s, kml_opt_kind *out)
{
    if (!strcmp(s, "adam")) { *out = KML_OPT_ADAM; return 0; }
    if (!strcmp(s, "nesterov") || !strcmp(s, "sgd")) { *out = KML_OPT_NESTEROV; return 0; }
    return -1;
}

const char *kml_optim_name(kml_opt_kind k) { return k == KML_OPT_NESTEROV ? "nesterov" : "adam"; }

size_t kml_optim_state_floats(const kml_optim_config *c, size_t n)
{
    return c->kind == KML_OPT_ADAM ? 2 * n : n;
}

void kml_optim_init(kml_optim *o, const kml_optim_config *c, size_t n, float *state)
{
    memset(o, 0, sizeof *o);
    o->cfg = *c;
    o->n = n;
    o->m = state;
    o->v = c->kind == KML_OPT_ADAM ? state + n : NULL;
    memset(state, 0, kml_optim_state_floats(c, n) * sizeof *state);
}

double kml_optim_lr(const kml_optim_config *c, int epoch, int epochs)
{
    int at = c->decay_epoch;
    if (at < 0) at = (2 * epochs) / 3;
    if (at > 0 && epoch >= at) return c->lr * c->decay_factor;
    return c->lr;
}

double kml_grad_norm(const float *g, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * (double)g[i];
    return sqrt(s);
}

int kml_optim_step(kml_optim *o, float *param, const float *grad, double lr)
{
    size_t n = o->n;
    double norm = kml_grad_norm(grad, n);
    o->last_norm = norm;
    if (!isfinite(norm)) {
        o->skipped++;
        return 0;
    }
    float scale = 1.0f;
    if (o->cfg.clip > 0 && norm > o->cfg.clip) {
        scale = (float)(o->cfg.clip / norm);
        o->clipped++;
    }
    o->t++;
    if (o->cfg.kind == KML_OPT_ADAM) {
        float b1 = (float)o->cfg.beta1, b2 = (float)o->cfg.beta2;
        /* lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t); eps scaled likewise so the update equals
         * lr * mhat / (sqrt(vhat) + eps) exactly as written in the Adam paper. */
        double c1 = 1.0 - pow(o->cfg.beta1, (double)o->t);
        double c2 = 1.0 - pow(o->cfg.beta2, (double)o->t);
        float step = (float)(lr / c1);
        float rc2 = (float)(1.0 / sqrt(c2));
        float eps = (float)o->cfg.eps;
        float *m = o->m, *v = o->v;
        for (size_t i = 0; i < n; i++) {
            float g = grad[i] * scale;
            m[i] = b1 * m[i] + (1.0f - b1) * g;
            v[i] = b2 * v[i] + (1.0f - b2) * g * g;
            param[i] -= step * m[i] / (sqrtf(v[i]) * rc2 + eps);
        }
    } else {
        /* PyTorch's Nesterov: buf = mu*buf + g; p -= lr * (g + mu*buf). */
        float mu = (float)o->cfg.momentum, a = (float)lr;
        float *buf = o->m;
        for (size_t i = 0; i < n; i++) {
            float g = grad[i] * scale;
            buf[i] = mu * buf[i] + g;
            param[i] -= a * (g + mu * buf[i]);
        }
    }
    if (o->cfg.weight_decay > 0) {
        /* Decoupled decay (Loshchilov & Hutter): shrinks every weight towards 0 by lr * wd of
         * itself, independently of the gradient scale, so it also bounds Adam's weights. */
        float keep = (float)(1.0 - lr * o->cfg.weight_decay);
        const unsigned char *mask = o->decay_mask;
        for (size_t i = 0; i < n; i++)
            if (!mask || mask[i]) param[i] *= keep;
    }
    return 1;
}
