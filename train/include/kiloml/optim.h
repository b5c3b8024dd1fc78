/* kiloml/optim.h: Adam and SGD with Nesterov momentum over a flat parameter block, with
 * gradient-norm clipping, skipping of non-finite steps and the step learning-rate decay.
 *
 *   kml_optim_config oc; kml_optim_config_init(&oc);          (Adam, lr 1e-2, clip 5)
 *   float *state = ...kml_optim_state_floats(&oc, n) floats...  (caller-owned, e.g. in the trainer block)
 *   kml_optim o; kml_optim_init(&o, &oc, n, state);
 *   for each minibatch:  kml_optim_step(&o, params, grads, kml_optim_lr(&oc, epoch, epochs));
 *   o.skipped = steps whose gradient norm was NaN/Inf (skipped, never clipped).
 *
 * N = number of floats in the parameter block. Parameters and gradients are laid out alike
 * (grad->block mirrors model->block), so the optimiser never needs to know the tensors. */
#ifndef KILOML_OPTIM_H
#define KILOML_OPTIM_H

#include <stddef.h>

typedef enum { KML_OPT_ADAM = 0, KML_OPT_NESTEROV = 1 } kml_opt_kind;

typedef struct kml_optim_config {
    kml_opt_kind kind;
    double lr;           /* base learning rate (default 1e-2) */
    double beta1, beta2; /* Adam moments (0.9, 0.999) */
    double eps;          /* Adam epsilon (1e-8) */
    double momentum;     /* Nesterov momentum (0.9) */
    double clip;         /* clip the global gradient L2 norm to this; <= 0 = no clipping (default 5) */
    double decay_factor; /* lr multiplied by this from decay_epoch on (0.1) */
    int decay_epoch;     /* -1 = 2/3 of the epochs (the paper's 200 of 300); 0 = never */
    double weight_decay; /* decoupled weight decay: after each taken step p -= lr * wd * p (default 0 = off) */
} kml_optim_config;

typedef struct kml_optim {
    kml_optim_config cfg;
    size_t n;
    float *m, *v;       /* Adam first/second moments, or Nesterov velocity in m (v unused) */
    long t;             /* steps taken (not counting skipped ones) */
    long skipped;       /* steps skipped because the gradient norm was not finite */
    long clipped;       /* steps whose gradient was scaled down by clipping */
    double last_norm;   /* gradient L2 norm of the last call (before clipping) */
    const unsigned char *decay_mask; /* weight decay only where mask[i] != 0; NULL (set by init) = all */
} kml_optim;

void kml_optim_config_init(kml_optim_config *c);
int kml_optim_parse(const char *s, kml_opt_kind *out);   /* "adam" | "nesterov"; 0 / -1 */
const char *kml_optim_name(kml_opt_kind k);

/* Floats of optimiser state for n parameters (Adam 2n, Nesterov n). */
size_t kml_optim_state_floats(const kml_optim_config *c, size_t n);
/* Attach the caller's state block (zeroed here). */
void kml_optim_init(kml_optim *o, const kml_optim_config *c, size_t n, float *state);

/* Learning rate of epoch e (0-based) of E epochs: lr, times decay_factor from the decay epoch on. */
double kml_optim_lr(const kml_optim_config *c, int epoch, int epochs);

/* Global L2 norm of g[0..n-1], in double. */
double kml_grad_norm(const float *g, size_t n);

/* One update of param[0..n-1] from grad (not modified). Returns 1 when the step was taken,
 * 0 when it was skipped because the gradient norm is NaN or Inf (parameters untouched). */
int kml_optim_step(kml_optim *o, float *param, const float *grad, double lr);

#endif
