/* cell_layout.h (private to train/): where each cell keeps its forward cache and backward
 * scratch, in elements (floats or doubles: the float and double kernels share the layout).
 *
 * Cache, [T][B][·] time-major regions (absent regions have length 0):
 *   xw1   [T][B][rW]   x·W1 (low-rank W)            needed for dW2
 *   hu1   [T][B][rU]   h_{t-1}·U1 (low-rank U)      needed for dU2 (t = 0 unused)
 *   a     [T][B][G·H]  FastRNN c; FastGRNN z; GRU r|z|n; LSTM i|f|g|o (outputs of the nonlinearities)
 *   c2    [T][B][H]    FastGRNN c; GRU U_n·h + b_un; LSTM cell state c
 *   c3    [T][B][H]    LSTM update_nl(c)
 *   tmp   [B][G·H]     GRU: h·U of the current step (forward only); LSTM: [B][H] zeros for c_{-1}
 * The plain RNN keeps nothing besides Hs.
 *
 * Backward scratch, independent of T: the backward walks time in chunks of KML_CELL_CHUNK steps,
 * storing dA of a chunk and then accumulating dW, dU of the whole chunk with one gemm each.
 *   dh, dh2 [B][H]      dLoss/dh_t, and the one for t-1 being built
 *   dc      [B][H]      LSTM dLoss/dc_t
 *   dax     [K][B][G·H] gradient of the x-side pre-activation (x·W + b)
 *   dah     [K][B][G·H] gradient of the h-side pre-activation (h·U + b_u); GRU only, else = dax
 *   dhu1    [K][B][rU]  dA·U2ᵀ (low-rank U)
 *   dxw1    [K][B][rW]  dA·W2ᵀ (low-rank W)
 *   zero    [B][H]      zeros: h_{-1} and c_{-1}
 *   ut      Uᵀ [G·H][H], or U2ᵀ [G·H][rU] then U1ᵀ [rU][H]: the per-step products dA·Uᵀ become
 *           plain (non-transposed) gemms, which OpenBLAS runs on its small-matrix kernels
 *   wk      KML_CELL_MAX_WORKERS worker regions of wk_size, each:
 *             dv [G·H + B·H]  derivatives of the nonlinearities (one row, or all rows for LSTM's c)
 *             acc [2][H]      per-unit sums for the gradients of the cell's two scalars
 *             gb, gb2 [G·H]   the worker's bias gradients, added to grad in worker order at the end
 * Rows of a step are split between workers; every [·][B][·] region is shared row-wise.
 */
#ifndef KML_CELL_LAYOUT_H
#define KML_CELL_LAYOUT_H

#include <stddef.h>
#include "kiloml/model.h"

#define KML_CELL_MAX_WORKERS 4 /* worker threads at most (cell_threads.h) */

#define KML_CELL_CHUNK 16

typedef struct kml_cell_layout {
    size_t xw1, hu1, a, c2, c3, tmp, total;
    size_t dh, dh2, dc, dax, dah, dhu1, dxw1, zero, ut, wk, wk_size, wk_acc, wk_gb, wk_gb2, s_total;
} kml_cell_layout;

void kml_cell_layout_of(const kml_model_config *cfg, int T, int B, kml_cell_layout *L);

#endif
