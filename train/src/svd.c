/* svd.c: see kiloml/svd.h. One-sided Jacobi (Hestenes): rotate pairs of columns of a working copy
 * of A (transposed first when m < n, so the columns are the short side) until every pair is
 * orthogonal; the column norms are then the singular values, the normalised columns U, and the
 * accumulated rotations V. */
#include "kiloml/svd.h"

#include <math.h>
#include <stdlib.h>

/* w: rows × cols (row-major), cols ≤ rows; on return the columns of w are orthogonal and
 * vm (cols × cols, row-major, starts as I) holds the rotations: A·V = W. -1 if a value is not finite. */
static int jacobi(double *w, int rows, int cols, double *vm)
{
    for (int i = 0; i < cols; i++)
        for (int j = 0; j < cols; j++) vm[(size_t)i * cols + j] = i == j;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0;
        for (int p = 0; p < cols - 1; p++)
            for (int q = p + 1; q < cols; q++) {
                double al = 0, be = 0, ga = 0;
                for (int i = 0; i < rows; i++) {
                    const double x = w[(size_t)i * cols + p], y = w[(size_t)i * cols + q];
                    al += x * x;
                    be += y * y;
                    ga += x * y;
                }
                if (!isfinite(al + be + ga)) return -1;
                if (ga == 0 || fabs(ga) <= 1e-15 * sqrt(al * be)) continue;
                const double c2 = fabs(ga) / sqrt(al * be);
                if (c2 > off) off = c2;
                const double zeta = (be - al) / (2 * ga);
                const double t = (zeta >= 0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(1 + zeta * zeta));
                const double c = 1 / sqrt(1 + t * t), s = c * t;
                for (int i = 0; i < rows; i++) {
                    double *x = &w[(size_t)i * cols + p], *y = &w[(size_t)i * cols + q];
                    const double xp = *x, yq = *y;
                    *x = c * xp - s * yq;
                    *y = s * xp + c * yq;
                }
                for (int i = 0; i < cols; i++) {
                    double *x = &vm[(size_t)i * cols + p], *y = &vm[(size_t)i * cols + q];
                    const double xp = *x, yq = *y;
                    *x = c * xp - s * yq;
                    *y = s * xp + c * yq;
                }
            }
        if (off <= 1e-15) return 0;
    }
    return 0; /* 60 sweeps leave the pairs orthogonal to rounding for any finite matrix of these sizes */
}

int kml_svd(const double *a, int m, int n, double *u, double *s, double *v)
{
    const int tr = m < n, rows = tr ? n : m, cols = tr ? m : n;
    double *w = malloc((size_t)rows * cols * sizeof *w), *vm = malloc((size_t)cols * cols * sizeof *vm);
    int *ord = malloc((size_t)cols * sizeof *ord);
    double *nrm = malloc((size_t)cols * sizeof *nrm);
    int rc = -1;
    if (!w || !vm || !ord || !nrm) goto done;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            if (tr) w[(size_t)j * cols + i] = a[(size_t)i * n + j];
            else w[(size_t)i * cols + j] = a[(size_t)i * n + j];
        }
    if (jacobi(w, rows, cols, vm)) goto done;
    for (int j = 0; j < cols; j++) {
        double q = 0;
        for (int i = 0; i < rows; i++) q += w[(size_t)i * cols + j] * w[(size_t)i * cols + j];
        nrm[j] = sqrt(q);
        ord[j] = j;
    }
    for (int i = 1; i < cols; i++) { /* insertion sort, descending */
        const int o = ord[i];
        int j = i;
        while (j > 0 && nrm[ord[j - 1]] < nrm[o]) { ord[j] = ord[j - 1]; j--; }
        ord[j] = o;
    }
    /* the rotated columns are (left vectors)·σ of the (possibly transposed) matrix; vm the right ones */
    const int k = cols;
    for (int c = 0; c < k; c++) {
        const int j = ord[c];
        const double sg = nrm[j];
        s[c] = sg;
        double *left = tr ? v : u, *right = tr ? u : v;   /* for Aᵀ the roles swap */
        for (int i = 0; i < rows; i++) left[(size_t)i * k + c] = sg > 0 ? w[(size_t)i * cols + j] / sg : 0.0;
        for (int i = 0; i < cols; i++) right[(size_t)i * k + c] = vm[(size_t)i * cols + j];
    }
    rc = 0;
done:
    free(w);
    free(vm);
    free(ord);
    free(nrm);
    return rc;
}

int kml_lowrank_factors(const double *a, int m, int n, int r, float *f1, float *f2)
{
    const int k = m < n ? m : n, use = r < k ? r : k;
    double *u = malloc((size_t)m * k * sizeof *u), *s = malloc((size_t)k * sizeof *s),
           *v = malloc((size_t)n * k * sizeof *v);
    int rc = -1;
    if (u && s && v && kml_svd(a, m, n, u, s, v) == 0) {
        for (int c = 0; c < use; c++) {
            const double rs = sqrt(s[c]);
            for (int i = 0; i < m; i++) f1[(size_t)i * r + c] = (float)(u[(size_t)i * k + c] * rs);
            for (int j = 0; j < n; j++) f2[(size_t)c * n + j] = (float)(rs * v[(size_t)j * k + c]);
        }
        rc = 0;
    }
    free(u);
    free(s);
    free(v);
    return rc;
}
