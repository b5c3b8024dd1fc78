/* kiloml/cell.h: batched forward/backward (BPTT) of every recurrent cell, the classifier and
 * the loss, as plain function pairs over raw arrays.
 *
 * Dimension letters: T time steps, B batch, D input features, H hidden units, C classes,
 * N rows given to the classifier. Arrays are time-major:
 *     X  [T][B][D]   input
 *     Hs [T][B][H]   hidden state after each step (h_0 = 0 is implicit)
 *     dHs[T][B][H]   dLoss/dh_t coming from the classifier at each step (zero where unused)
 * `cache` holds whatever the backward needs (pre-activations, gates); its size comes from
 * kml_cell_cache_floats(). Gradients ACCUMULATE (+=) into a model-shaped buffer `grad`
 * (allocated with kml_model_alloc on the same config): grad->p[id] matches m->p[id].
 * Low-rank W = W1·W2 and U = U1·U2 are never formed: (x·W1)·W2 and (h·U1)·U2.
 *
 * Cells (SPEC §1; gate_nl = g, update_nl = f): FastRNN c = f(·); FastGRNN z = g(·), c = f(·);
 * RNN h = f(·); GRU r, z = g(·), n = f(·) (PyTorch's equations, b_u inside r ⊙ (U_n·h + b_un));
 * LSTM i, f, o = g(·), candidate and cell output both f (tanh by default, as PyTorch).
 * The forward writes nothing but cache and Hs; the backward needs no memory besides scratch.
 * The whole window's x·W is one gemm before the recurrence, and the backward accumulates dW and
 * dU with one gemm per chunk of 16 steps. Float and double (kiloml/cell_f64.h) share one source.
 * The float kernels flush denormals to zero inside (the caller's floating-point state is kept).
 */
#ifndef KILOML_CELL_H
#define KILOML_CELL_H

#include <stddef.h>
#include <stdint.h>
#include "kiloml/model.h"

size_t kml_cell_cache_floats(const kml_model_config *cfg, int T, int B);
/* Worker threads for the forward and backward (rows of a batch are independent series and are
 * split between workers; at least 8 rows each, at most 4 workers). 0 (the default) = as many as
 * OpenBLAS is set to use (openblas_set_num_threads / OPENBLAS_NUM_THREADS). While the workers
 * run, OpenBLAS is held to one thread. Results agree across worker counts to rounding (bias sums
 * are added in a different order); for a given count they are deterministic. Not to be changed
 * while a cell call runs. */
void kml_cell_set_threads(int n);
/* Scratch floats the backward needs besides the cache (per call, caller-provided). */
size_t kml_cell_scratch_floats(const kml_model_config *cfg, int B);

void kml_cell_forward(const kml_model *m, const float *X, int T, int B, float *cache, float *Hs);

/* dHs is read (not modified). */
void kml_cell_backward(const kml_model *m, const float *X, int T, int B, const float *cache,
                       const float *Hs, const float *dHs, float *scratch, kml_model *grad);

/* logits[N][C] = Hsel[N][H] · V + v */
void kml_classifier_forward(const kml_model *m, const float *Hsel, int N, float *logits);
/* dHsel[N][H] = dlogits · Vᵀ (overwritten); grad V += Hselᵀ · dlogits, grad v += Σ dlogits. */
void kml_classifier_backward(const kml_model *m, const float *Hsel, const float *dlogits, int N,
                             float *dHsel, kml_model *grad);

/* Mean softmax cross-entropy over rows with weight > 0 (weight NULL = all 1): returns the loss,
 * writes dlogits[N][C] = weight·(softmax − onehot)/Σweight. Numerically stable (max-shifted). */
double kml_softmax_xent(const float *logits, const int32_t *y, const float *weight, int N, int C,
                        float *dlogits);

/* Elementwise nonlinearity and its derivative expressed from the OUTPUT y = f(x) where possible
 * (relu / quant forms use the input). Exposed for tests and the quantizer. */
void kml_nonlin_forward(kml_nonlin nl, const float *x, float *y, size_t n);
/* dy[i] = f'(x_i) from y[i] = f(x_i): tanh 1−y², sigmoid y(1−y), relu [y>0], quantTanh [−1<y<1],
 * quantSigm ½·[0<y<1] (the kinks take derivative 0). */
void kml_nonlin_deriv(kml_nonlin nl, const float *y, float *dy, size_t n);

#endif
