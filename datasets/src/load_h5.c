/* load_h5.c: one split (train or test) of an HDF5 dataset file.
 *
 * Names: <x_name>_<split> (N, T, F) of any integer or float type, read as float32;
 *        <labels>_<split> (N) integers (or integral floats) >= 0;
 *        <lengths_name>_<split> (N) optional, 1 <= len <= T;
 *        <group_name>_<split> (N) integers, required when a group name is given.
 * HDF5's own error stack printing is switched off: every failure becomes one kml_error line that names
 * the file and the dataset. */
#include "load_internal.h"

#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows read per H5Dread: large enough to amortise the call, small enough that the type conversion
 * buffers stay modest on 100 MB datasets. */
#define KML_H5_ROW_BYTES_PER_READ (16u << 20)

static void quiet_hdf5(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* ---- listing the root group, for "dataset not found" messages ---- */
typedef struct {
    char buf[512];
    size_t used;
    int count;
} name_list;

static herr_t list_one(hid_t g, const char *name, const H5L_info_t *info, void *op)
{
    (void)g;
    (void)info;
    name_list *l = op;
    size_t n = strlen(name);
    if (l->used + n + 8 >= sizeof l->buf) {
        if (l->used + 5 < sizeof l->buf && (l->used < 4 || strcmp(l->buf + l->used - 3, "...") != 0)) {
            memcpy(l->buf + l->used, ", ...", 6);
            l->used += 5;
        }
        return 0;
    }
    if (l->count++) {
        memcpy(l->buf + l->used, ", ", 2);
        l->used += 2;
    }
    memcpy(l->buf + l->used, name, n + 1);
    l->used += n;
    return 0;
}

static int missing(hid_t f, const char *path, const char *name, const char *hint, kml_error *err)
{
    name_list l;
    memset(&l, 0, sizeof l);
    hsize_t idx = 0;
    H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, &idx, list_one, &l);
    return kml_error_set(err, "%s: dataset '%s' not found (the file holds: %s)%s", path, name,
                         l.count ? l.buf : "nothing", hint ? hint : "");
}

/* 1 if `name` exists in f as a link, 0 if not. */
static int exists(hid_t f, const char *name)
{
    return H5Lexists(f, name, H5P_DEFAULT) > 0;
}

static hid_t open_file(const char *path, kml_error *err)
{
    quiet_hdf5();
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        kml_error_set(err, "%s: cannot open the file for reading", path);
        return -1;
    }
    fclose(probe);
    if (H5Fis_hdf5(path) <= 0) {
        kml_error_set(err, "%s: not an HDF5 file (no HDF5 signature); expected HDF5 with X_train (N,T,F) and "
                           "y_train (N), or a CSV file",
                      path);
        return -1;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) kml_error_set(err, "%s: HDF5 library could not open the file (damaged or truncated?)", path);
    return f;
}

int kml_h5_has(const char *path, const char *name, kml_error *err)
{
    hid_t f = open_file(path, err);
    if (f < 0) return -1;
    int r = exists(f, name);
    H5Fclose(f);
    return r;
}

static void shape_str(char *buf, size_t n, int rank, const hsize_t *dims)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < rank && used + 24 < n; i++)
        used += (size_t)snprintf(buf + used, n - used, i ? " x %llu" : "%llu", (unsigned long long)dims[i]);
    if (rank == 0) snprintf(buf, n, "scalar");
}

/* Open a dataset and check rank and element class (integer or float). dims gets up to 3 entries. */
static hid_t open_numeric(hid_t f, const char *path, const char *name, int want_rank, hsize_t *dims,
                          H5T_class_t *cls, kml_error *err)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) {
        kml_error_set(err, "%s: '%s' exists but is not a dataset", path, name);
        return -1;
    }
    hid_t s = H5Dget_space(d);
    int rank = H5Sget_simple_extent_ndims(s);
    hsize_t all[H5S_MAX_RANK];
    if (rank > 0) H5Sget_simple_extent_dims(s, all, NULL);
    H5Sclose(s);
    /* A label vector stored as (N, 1) is accepted as rank 1. */
    if (want_rank == 1 && rank == 2 && all[1] == 1) rank = 1;
    if (rank != want_rank) {
        char sh[128];
        shape_str(sh, sizeof sh, rank < 0 ? 0 : rank, all);
        kml_error_set(err, "%s: dataset '%s' has rank %d (shape %s), expected rank %d%s", path, name, rank, sh,
                      want_rank, want_rank == 3 ? " (N series, T steps, F features)" : " (one value per series)");
        H5Dclose(d);
        return -1;
    }
    for (int i = 0; i < want_rank; i++) dims[i] = all[i];
    hid_t t = H5Dget_type(d);
    *cls = H5Tget_class(t);
    H5Tclose(t);
    if (*cls != H5T_INTEGER && *cls != H5T_FLOAT) {
        kml_error_set(err, "%s: dataset '%s' holds neither integers nor floats; expected a numeric array", path,
                      name);
        H5Dclose(d);
        return -1;
    }
    return d;
}

/* X: (N, T, F) read as float32 in row blocks. */
static int read_x(hid_t f, const char *path, const char *name, kml_dataset *out, kml_error *err)
{
    hsize_t dims[3];
    H5T_class_t cls;
    hid_t d = open_numeric(f, path, name, 3, dims, &cls, err);
    if (d < 0) return -1;
    if (dims[0] < 1 || dims[1] < 1 || dims[2] < 1 || dims[0] > INT32_MAX || dims[1] > INT32_MAX ||
        dims[2] > INT32_MAX || dims[1] * dims[2] > (hsize_t)INT32_MAX ||
        dims[0] > (hsize_t)(SIZE_MAX / sizeof(float)) / (dims[1] * dims[2])) {
        kml_error_set(err, "%s: dataset '%s' has shape %llu x %llu x %llu; expected every dimension >= 1 and a "
                           "size that fits in memory",
                      path, name, (unsigned long long)dims[0], (unsigned long long)dims[1],
                      (unsigned long long)dims[2]);
        H5Dclose(d);
        return -1;
    }
    size_t row = (size_t)(dims[1] * dims[2]);
    float *X = malloc((size_t)dims[0] * row * sizeof *X);
    if (!X) {
        kml_error_set(err, "%s: out of memory reading '%s' (%llu x %llu x %llu floats)", path, name,
                      (unsigned long long)dims[0], (unsigned long long)dims[1], (unsigned long long)dims[2]);
        H5Dclose(d);
        return -1;
    }
    hid_t fs = H5Dget_space(d);
    hsize_t step = KML_H5_ROW_BYTES_PER_READ / (row * sizeof(float));
    if (step < 1) step = 1;
    int rc = 0;
    for (hsize_t r0 = 0; r0 < dims[0] && rc == 0; r0 += step) {
        hsize_t cnt[3] = {dims[0] - r0 < step ? dims[0] - r0 : step, dims[1], dims[2]};
        hsize_t start[3] = {r0, 0, 0};
        hid_t ms = H5Screate_simple(3, cnt, NULL);
        if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
            H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, X + (size_t)r0 * row) < 0) {
            kml_error_set(err, "%s: reading dataset '%s' failed at series %llu (damaged file or missing filter?)",
                          path, name, (unsigned long long)r0);
            rc = -1;
        }
        H5Sclose(ms);
    }
    H5Sclose(fs);
    H5Dclose(d);
    if (rc) {
        free(X);
        return -1;
    }
    out->n = (int)dims[0];
    out->T = (int)dims[1];
    out->F = (int)dims[2];
    out->X = X;
    return 0;
}

/* A per-series integer vector of n entries, checked to lie in [lo, hi]; what = "label", "length", "group". */
static int read_ints(hid_t f, const char *path, const char *name, const char *xname, int n, long long lo,
                     long long hi, const char *what, int32_t **out, kml_error *err)
{
    hsize_t dims[1];
    H5T_class_t cls;
    hid_t d = open_numeric(f, path, name, 1, dims, &cls, err);
    if (d < 0) return -1;
    if (dims[0] != (hsize_t)n) {
        H5Dclose(d);
        return kml_error_set(err, "%s: '%s' has %d series but '%s' has %llu entries; expected the same N", path,
                             xname, n, name, (unsigned long long)dims[0]);
    }
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    long long *iv = malloc((size_t)(n ? n : 1) * sizeof *iv);
    int32_t *y = malloc((size_t)(n ? n : 1) * sizeof *y);
    int rc = 0;
    if (!v || !iv || !y) {
        rc = kml_error_set(err, "%s: out of memory reading '%s'", path, name);
    } else if (cls == H5T_FLOAT) {
        if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
            rc = kml_error_set(err, "%s: reading dataset '%s' failed", path, name);
        for (int i = 0; rc == 0 && i < n; i++) {
            if (!isfinite(v[i]) || v[i] != floor(v[i]))
                rc = kml_error_set(err, "%s: %s[%d] = %g is not an integer; expected an integer %s", path, name, i,
                                   v[i], what);
            else if (v[i] < (double)lo || v[i] > (double)hi)
                rc = kml_error_set(err, "%s: %s[%d] = %.0f is out of range; expected a %s in %lld..%lld", path,
                                   name, i, v[i], what, lo, hi);
            else
                y[i] = (int32_t)v[i];
        }
    } else {
        if (H5Dread(d, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, iv) < 0)
            rc = kml_error_set(err, "%s: reading dataset '%s' failed (values beyond 64-bit range?)", path, name);
        for (int i = 0; rc == 0 && i < n; i++) {
            if (iv[i] < lo || iv[i] > hi)
                rc = kml_error_set(err, "%s: %s[%d] = %lld is out of range; expected a %s in %lld..%lld%s", path,
                                   name, i, iv[i], what, lo, hi,
                                   iv[i] < 0 && lo == 0 ? " (negative labels are not class ids)" : "");
            else
                y[i] = (int32_t)iv[i];
        }
    }
    free(v);
    free(iv);
    H5Dclose(d);
    if (rc) {
        free(y);
        return -1;
    }
    *out = y;
    return 0;
}

static void join(char *buf, size_t n, const char *a, const char *suffix)
{
    snprintf(buf, n, "%s_%s", a, suffix);
}

int kml_h5_load_split(const char *path, const kml_data_opts *o, const char *suffix, int optional,
                      kml_dataset *out, kml_error *err)
{
    hid_t f = open_file(path, err);
    if (f < 0) return -1;
    char xn[256], yn[256], ln[256], gn[256];
    join(xn, sizeof xn, o->x_name, suffix);
    join(yn, sizeof yn, o->labels, suffix);
    join(ln, sizeof ln, o->lengths_name, suffix);
    if (o->group_name) join(gn, sizeof gn, o->group_name, suffix);

    kml_dataset d = {0};
    int rc = 0;
    if (!exists(f, xn)) {
        if (optional) {
            H5Fclose(f);
            return 1;
        }
        char hint[800];
        snprintf(hint, sizeof hint, "; expected %s (N,T,F) and %s (N) (names: --x-name, --labels)", xn, yn);
        rc = missing(f, path, xn, hint, err);
    } else if (!exists(f, yn)) {
        char hint[800];
        snprintf(hint, sizeof hint, "; expected labels %s (N) beside %s (--labels NAME reads NAME_%s)", yn, xn,
                 suffix);
        rc = missing(f, path, yn, hint, err);
    } else if (o->group_name && !exists(f, gn)) {
        rc = missing(f, path, gn, " (named by --group)", err);
    }
    if (rc == 0) rc = read_x(f, path, xn, &d, err);
    if (rc == 0) rc = read_ints(f, path, yn, xn, d.n, 0, KML_MAX_CLASSES - 1, "class id", &d.y, err);
    if (rc == 0 && exists(f, ln)) rc = read_ints(f, path, ln, xn, d.n, 1, d.T, "length", &d.len, err);
    if (rc == 0 && o->group_name) rc = read_ints(f, path, gn, xn, d.n, INT32_MIN, INT32_MAX, "group id", &d.group, err);
    H5Fclose(f);
    if (rc) {
        kml_dataset_free(&d);
        return -1;
    }
    *out = d;
    return 0;
}

int kml_data_file_is_hdf5(const char *path, kml_error *err)
{
    quiet_hdf5();
    FILE *probe = fopen(path, "rb");
    if (!probe) return kml_error_set(err, "%s: cannot open the file for reading", path);
    fclose(probe);
    return H5Fis_hdf5(path) > 0 ? 1 : 0;
}
