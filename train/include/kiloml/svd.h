/* kiloml/svd.h: the singular value decomposition of a small dense matrix (one-sided Jacobi, in double).
 *
 *   A (m × n, row-major) = U · diag(s) · Vᵀ,  s descending, U m × k and V n × k orthonormal columns,
 *   k = min(m, n).
 *
 * Used to start a low-rank factor pair from a trained full matrix (train --init-from): the best rank-r
 * approximation (Eckart–Young) is the first r terms. Sizes here are the cells' (at most a few hundred
 * on a side), where Jacobi's accuracy matters more than its O(m n² sweeps) cost. */
#ifndef KILOML_SVD_H
#define KILOML_SVD_H

/* u: m × k, s: k, v: n × k (all row-major, caller-owned). Returns 0, or -1 when out of memory or the
 * matrix holds a non-finite value. (At most 60 sweeps; Jacobi converges quadratically, in well under
 * that for any finite matrix of these sizes.) */
int kml_svd(const double *a, int m, int n, double *u, double *s, double *v);

/* The balanced rank-r factors of A: F1 = U_r·diag(√s_r) (m × r) and F2 = diag(√s_r)·V_rᵀ (r × n), so
 * F1·F2 is A's best rank-r approximation. When r > min(m, n) the extra columns of F1 and rows of F2 are
 * left as the caller filled them. Returns 0 or -1 as kml_svd. */
int kml_lowrank_factors(const double *a, int m, int n, int r, float *f1, float *f2);

#endif
