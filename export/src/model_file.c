/* model_file.c: the .kml model file (layout in kiloml/model_file.h). */
#define _POSIX_C_SOURCE 200809L
#include "kiloml/model_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- HDF5's own error printing is silenced while we work; our messages say what went wrong ---- */
typedef struct { H5E_auto2_t fn; void *data; } quiet_state;
static void quiet_begin(quiet_state *q)
{
    H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
static void quiet_end(const quiet_state *q) { H5Eset_auto2(H5E_DEFAULT, q->fn, q->data); }

/* ---- attributes ---- */
static int attr_write(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? -1 : H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (a >= 0 && H5Awrite(a, mtype, v) >= 0) ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}
static int attr_int(hid_t loc, const char *name, long v)
{
    long long x = v;
    return attr_write(loc, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &x);
}
static int attr_u64(hid_t loc, const char *name, uint64_t v)
{
    unsigned long long x = v;
    return attr_write(loc, name, H5T_STD_U64LE, H5T_NATIVE_ULLONG, &x);
}
static int attr_double(hid_t loc, const char *name, double v)
{
    return attr_write(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}
static int attr_str(hid_t loc, const char *name, const char *s)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    size_t n = strlen(s);
    H5Tset_size(t, n ? n : 1);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    H5Tset_cset(t, H5T_CSET_UTF8);
    int rc = attr_write(loc, name, t, t, n ? s : "");
    H5Tclose(t);
    return rc;
}

/* 1 found, 0 absent, -1 unreadable */
static int attr_read_num(hid_t loc, const char *name, hid_t mtype, void *out)
{
    if (H5Aexists(loc, name) <= 0) return 0;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t t = H5Aget_type(a);
    H5T_class_t cls = H5Tget_class(t);
    int rc = (cls == H5T_INTEGER || cls == H5T_FLOAT) && H5Aread(a, mtype, out) >= 0 ? 1 : -1;
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}
static int attr_read_str(hid_t loc, const char *name, char *out, size_t cap)
{
    if (H5Aexists(loc, name) <= 0) return 0;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t t = H5Aget_type(a);
    int rc = -1;
    if (H5Tget_class(t) == H5T_STRING) {
        if (H5Tis_variable_str(t) > 0) {
            char *s = NULL;
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(t));
            if (H5Aread(a, mt, &s) >= 0 && s) {
                snprintf(out, cap, "%s", s);
                H5free_memory(s);
                rc = 1;
            }
            H5Tclose(mt);
        } else {
            size_t n = H5Tget_size(t);
            char *buf = calloc(n + 1, 1);
            if (buf && H5Aread(a, t, buf) >= 0) {
                snprintf(out, cap, "%s", buf);
                rc = 1;
            }
            free(buf);
        }
    }
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

/* ---- datasets ---- */
static int dset_write_f32(hid_t file, const char *name, int rank, const hsize_t *dims, const float *v)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t d = sp < 0 ? -1 : H5Dcreate2(file, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = (d >= 0 && H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) ? 0 : -1;
    if (d >= 0) H5Dclose(d);
    H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

static int write_class_names(hid_t file, char *const *names, int C)
{
    hsize_t n = (hsize_t)C;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t d = H5Dcreate2(file, "class_names", t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = (d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, names) >= 0) ? 0 : -1;
    if (d >= 0) H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

static const char *norm_mode_name(const kml_model *m)
{
    if (!m->norm.mean || !m->norm.std) return "none";
    return m->norm.mode == KML_NORM_PER_STEP ? "per-step" : "per-feature";
}

static int write_body(hid_t f, const kml_model *m, const kml_train_summary *s)
{
    const kml_model_config *c = &m->cfg;
    int rc = 0;
    rc |= attr_str(f, "kiloml_format", KML_FORMAT_NAME);
    rc |= attr_int(f, "format_version", KML_FORMAT_VERSION);
    rc |= attr_str(f, "cell", kml_cell_name(c->cell));
    rc |= attr_int(f, "D", c->D);
    rc |= attr_int(f, "H", c->H);
    rc |= attr_int(f, "C", c->C);
    rc |= attr_int(f, "rank_w", c->rank_w);
    rc |= attr_int(f, "rank_u", c->rank_u);
    rc |= attr_str(f, "gate_nonlin", kml_nonlin_name(c->gate_nl));
    rc |= attr_str(f, "update_nonlin", kml_nonlin_name(c->update_nl));
    rc |= attr_str(f, "norm_mode", norm_mode_name(m));
    if (rc) return -1;
    for (int id = 0; id < KML_PARAM_COUNT; id++) {
        if (!m->p[id]) continue;
        hsize_t dims[2] = {(hsize_t)m->shape[id].rows, (hsize_t)m->shape[id].cols};
        if (dset_write_f32(f, kml_param_name((kml_param_id)id), 2, dims, m->p[id])) return -1;
    }
    if (m->norm.mean && m->norm.std) {
        hsize_t dims[2];
        int rank;
        if (m->norm.mode == KML_NORM_PER_STEP) {
            dims[0] = (hsize_t)m->norm.T; dims[1] = (hsize_t)m->norm.F; rank = 2;
        } else {
            dims[0] = (hsize_t)m->norm.F; rank = 1;
        }
        if (dset_write_f32(f, "norm_mean", rank, dims, m->norm.mean)) return -1;
        if (dset_write_f32(f, "norm_std", rank, dims, m->norm.std)) return -1;
        if (attr_int(f, "norm_T", m->norm.T) || attr_int(f, "norm_F", m->norm.F)) return -1;
    }
    if (m->class_names && write_class_names(f, m->class_names, c->C)) return -1;
    if (s) {
        rc |= attr_int(f, "epochs", s->epochs);
        rc |= attr_int(f, "best_epoch", s->best_epoch);
        rc |= attr_double(f, "val_accuracy", s->val_accuracy);
        rc |= attr_double(f, "test_accuracy", s->test_accuracy);
        rc |= attr_int(f, "n_fit", s->n_fit);
        rc |= attr_int(f, "n_val", s->n_val);
        rc |= attr_int(f, "n_test", s->n_test);
        rc |= attr_u64(f, "seed", s->seed);
        rc |= attr_int(f, "steps", s->steps);
        rc |= attr_int(f, "skipped_steps", s->skipped_steps);
        rc |= attr_double(f, "lr", s->lr);
        rc |= attr_int(f, "batch", s->batch);
        rc |= attr_str(f, "optimizer", kml_optim_name(s->optimizer));
        rc |= attr_double(f, "clip", s->clip);
        rc |= attr_double(f, "density_w", s->density_w);
        rc |= attr_double(f, "density_u", s->density_u);
    }
    return rc ? -1 : 0;
}

int kml_model_file_write(const char *path, const kml_model *m, const kml_train_summary *summary,
                         kml_model_file_extra_fn extra, void *extra_ctx, kml_error *err)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) return kml_error_set(err, "%s: out of memory", path);
    snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
    quiet_state q;
    quiet_begin(&q);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(fcpl, 0);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    int rc = 0;
    if (f < 0) {
        rc = kml_error_set(err, "%s: cannot create the model file (folder missing or not writable?)", path);
    } else if (write_body(f, m, summary)) {
        rc = kml_error_set(err, "%s: writing the model failed (disk full?)", path);
    } else if (extra && extra(f, extra_ctx, err)) {
        rc = kml_error_prefix(err, "%s", path);
    }
    if (f >= 0 && H5Fclose(f) < 0 && rc == 0)
        rc = kml_error_set(err, "%s: closing the model file failed (disk full?)", path);
    quiet_end(&q);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = kml_error_set(err, "%s: cannot rename the temporary %s into place", path, tmp);
    if (rc != 0) remove(tmp);
    free(tmp);
    return rc;
}

/* ---- reading ---- */
static int read_f32(hid_t f, const char *path, const char *name, int rank, const hsize_t *want, float *out,
                    kml_error *err)
{
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0)
        return kml_error_set(err, "%s: missing parameter dataset '%s'", path, name);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return kml_error_set(err, "%s: '%s' is not a dataset", path, name);
    hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
    hsize_t dims[8] = {0};
    int r = H5Sget_simple_extent_ndims(sp);
    int rc = 0;
    if (H5Tget_class(t) != H5T_FLOAT) {
        rc = kml_error_set(err, "%s: dataset '%s' is not floating point", path, name);
    } else if (r < 0 || r > 8 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0 || r != rank ||
               dims[0] != want[0] || (rank == 2 && dims[1] != want[1])) {
        char got[64] = "", exp[64];
        for (int i = 0; i < r && i < 8; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%llu", i ? "x" : "",
                     (unsigned long long)dims[i]);
        if (rank == 2) snprintf(exp, sizeof exp, "%llux%llu", (unsigned long long)want[0], (unsigned long long)want[1]);
        else snprintf(exp, sizeof exp, "%llu", (unsigned long long)want[0]);
        rc = kml_error_set(err, "%s: dataset '%s' has shape %s, expected %s", path, name, r > 0 ? got : "(scalar)",
                           exp);
    } else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
        rc = kml_error_set(err, "%s: cannot read dataset '%s'", path, name);
    }
    H5Tclose(t);
    H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

static int need_int(hid_t f, const char *path, const char *name, int *out, kml_error *err)
{
    long long v = 0;
    int r = attr_read_num(f, name, H5T_NATIVE_LLONG, &v);
    if (r == 0) return kml_error_set(err, "%s: missing attribute '%s'", path, name);
    if (r < 0) return kml_error_set(err, "%s: attribute '%s' is not an integer", path, name);
    if (v < 0 || v > (1 << 24)) return kml_error_set(err, "%s: attribute '%s' = %lld is out of range", path, name, v);
    *out = (int)v;
    return 0;
}

static int need_str(hid_t f, const char *path, const char *name, char *out, size_t cap, kml_error *err)
{
    int r = attr_read_str(f, name, out, cap);
    if (r == 0) return kml_error_set(err, "%s: missing attribute '%s'", path, name);
    if (r < 0) return kml_error_set(err, "%s: attribute '%s' is not a string", path, name);
    return 0;
}

static int read_config(hid_t f, const char *path, kml_model_config *c, kml_error *err)
{
    char s[64];
    memset(c, 0, sizeof *c);
    if (need_str(f, path, "cell", s, sizeof s, err)) return -1;
    if (kml_cell_parse(s, &c->cell))
        return kml_error_set(err, "%s: unknown cell '%s' (expected fastgrnn, fastrnn, rnn, gru or lstm)", path, s);
    if (need_int(f, path, "D", &c->D, err) || need_int(f, path, "H", &c->H, err) ||
        need_int(f, path, "C", &c->C, err) || need_int(f, path, "rank_w", &c->rank_w, err) ||
        need_int(f, path, "rank_u", &c->rank_u, err))
        return -1;
    if (need_str(f, path, "gate_nonlin", s, sizeof s, err)) return -1;
    if (kml_nonlin_parse(s, &c->gate_nl)) return kml_error_set(err, "%s: unknown gate_nonlin '%s'", path, s);
    if (need_str(f, path, "update_nonlin", s, sizeof s, err)) return -1;
    if (kml_nonlin_parse(s, &c->update_nl)) return kml_error_set(err, "%s: unknown update_nonlin '%s'", path, s);
    return 0;
}

static int read_norm(hid_t f, const char *path, kml_model *m, kml_error *err)
{
    char mode[32];
    int r = attr_read_str(f, "norm_mode", mode, sizeof mode);
    if (r == 0 || (r > 0 && !strcmp(mode, "none"))) return 0;
    if (r < 0) return kml_error_set(err, "%s: attribute 'norm_mode' is not a string", path);
    kml_norm *nm = &m->norm;
    if (!strcmp(mode, "per-feature")) nm->mode = KML_NORM_PER_FEATURE;
    else if (!strcmp(mode, "per-step")) nm->mode = KML_NORM_PER_STEP;
    else return kml_error_set(err, "%s: norm_mode '%s' (expected none, per-feature or per-step)", path, mode);
    if (need_int(f, path, "norm_T", &nm->T, err) || need_int(f, path, "norm_F", &nm->F, err)) return -1;
    if (nm->F != m->cfg.D)
        return kml_error_set(err, "%s: norm_F = %d but the model has D = %d inputs", path, nm->F, m->cfg.D);
    size_t n = nm->mode == KML_NORM_PER_STEP ? (size_t)nm->T * (size_t)nm->F : (size_t)nm->F;
    if (n == 0) return kml_error_set(err, "%s: empty normalisation", path);
    nm->mean = malloc(n * sizeof(float));
    nm->std = malloc(n * sizeof(float));
    if (!nm->mean || !nm->std) return kml_error_set(err, "%s: out of memory", path);
    hsize_t dims[2];
    int rank;
    if (nm->mode == KML_NORM_PER_STEP) { dims[0] = (hsize_t)nm->T; dims[1] = (hsize_t)nm->F; rank = 2; }
    else { dims[0] = (hsize_t)nm->F; rank = 1; }
    if (read_f32(f, path, "norm_mean", rank, dims, nm->mean, err)) return -1;
    return read_f32(f, path, "norm_std", rank, dims, nm->std, err);
}

static int read_class_names(hid_t f, const char *path, kml_model *m, kml_error *err)
{
    if (H5Lexists(f, "class_names", H5P_DEFAULT) <= 0) return 0;
    hid_t d = H5Dopen2(f, "class_names", H5P_DEFAULT);
    if (d < 0) return kml_error_set(err, "%s: 'class_names' is not a dataset", path);
    hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
    hsize_t n = 0;
    int rc = 0;
    if (H5Tget_class(t) != H5T_STRING || H5Sget_simple_extent_ndims(sp) != 1 ||
        H5Sget_simple_extent_dims(sp, &n, NULL) < 0 || n != (hsize_t)m->cfg.C) {
        rc = kml_error_set(err, "%s: 'class_names' must hold %d strings", path, m->cfg.C);
    } else {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));   /* HDF5 does not convert between ASCII and UTF-8 */
        char **raw = calloc((size_t)n, sizeof *raw);
        m->class_names = calloc((size_t)n, sizeof *m->class_names);
        if (!raw || !m->class_names || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
            rc = kml_error_set(err, "%s: cannot read 'class_names' (expected variable-length strings)", path);
        } else {
            for (hsize_t i = 0; i < n; i++) {
                const char *s = raw[i] ? raw[i] : "";
                m->class_names[i] = malloc(strlen(s) + 1);
                if (!m->class_names[i]) { rc = kml_error_set(err, "%s: out of memory", path); break; }
                strcpy(m->class_names[i], s);
            }
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, raw);
        }
        free(raw);
        H5Tclose(mt);
    }
    H5Tclose(t);
    H5Sclose(sp);
    H5Dclose(d);
    return rc;
}

static void read_summary(hid_t f, kml_train_summary *s)
{
    kml_train_summary_init(s);
    long long v;
    unsigned long long u;
    double x;
    char str[32];
    if (attr_read_num(f, "epochs", H5T_NATIVE_LLONG, &v) == 1) s->epochs = (int)v;
    if (attr_read_num(f, "best_epoch", H5T_NATIVE_LLONG, &v) == 1) s->best_epoch = (int)v;
    if (attr_read_num(f, "val_accuracy", H5T_NATIVE_DOUBLE, &x) == 1) s->val_accuracy = x;
    if (attr_read_num(f, "test_accuracy", H5T_NATIVE_DOUBLE, &x) == 1) s->test_accuracy = x;
    if (attr_read_num(f, "n_fit", H5T_NATIVE_LLONG, &v) == 1) s->n_fit = (int)v;
    if (attr_read_num(f, "n_val", H5T_NATIVE_LLONG, &v) == 1) s->n_val = (int)v;
    if (attr_read_num(f, "n_test", H5T_NATIVE_LLONG, &v) == 1) s->n_test = (int)v;
    if (attr_read_num(f, "seed", H5T_NATIVE_ULLONG, &u) == 1) s->seed = u;
    if (attr_read_num(f, "steps", H5T_NATIVE_LLONG, &v) == 1) s->steps = (long)v;
    if (attr_read_num(f, "skipped_steps", H5T_NATIVE_LLONG, &v) == 1) s->skipped_steps = (long)v;
    if (attr_read_num(f, "lr", H5T_NATIVE_DOUBLE, &x) == 1) s->lr = x;
    if (attr_read_num(f, "batch", H5T_NATIVE_LLONG, &v) == 1) s->batch = (int)v;
    if (attr_read_str(f, "optimizer", str, sizeof str) == 1) kml_optim_parse(str, &s->optimizer);
    if (attr_read_num(f, "clip", H5T_NATIVE_DOUBLE, &x) == 1) s->clip = x;
    if (attr_read_num(f, "density_w", H5T_NATIVE_DOUBLE, &x) == 1) s->density_w = x;
    if (attr_read_num(f, "density_u", H5T_NATIVE_DOUBLE, &x) == 1) s->density_u = x;
}

static int read_body(hid_t f, const char *path, kml_model *m, kml_train_summary *s, kml_error *err)
{
    char fmt[32];
    int r = attr_read_str(f, "kiloml_format", fmt, sizeof fmt);
    if (r == 0) return kml_error_set(err, "%s: not a kiloml model (HDF5 without a 'kiloml_format' attribute)", path);
    if (r < 0 || strcmp(fmt, KML_FORMAT_NAME))
        return kml_error_set(err, "%s: kiloml_format is '%s', expected '%s'", path, r < 0 ? "?" : fmt,
                             KML_FORMAT_NAME);
    long long ver = 0;
    r = attr_read_num(f, "format_version", H5T_NATIVE_LLONG, &ver);
    if (r <= 0) return kml_error_set(err, "%s: missing or unreadable attribute 'format_version'", path);
    if (ver != KML_FORMAT_VERSION)
        return kml_error_set(err, "%s: format_version %lld is not supported (this kiloml reads version %d)", path,
                             ver, KML_FORMAT_VERSION);
    kml_model_config cfg;
    if (read_config(f, path, &cfg, err)) return -1;
    if (kml_model_alloc(m, &cfg, err)) return kml_error_prefix(err, "%s", path);
    for (int id = 0; id < KML_PARAM_COUNT; id++) {
        if (!m->p[id]) continue;
        hsize_t dims[2] = {(hsize_t)m->shape[id].rows, (hsize_t)m->shape[id].cols};
        if (read_f32(f, path, kml_param_name((kml_param_id)id), 2, dims, m->p[id], err)) return -1;
    }
    if (read_norm(f, path, m, err) || read_class_names(f, path, m, err)) return -1;
    if (s) read_summary(f, s);
    return 0;
}

int kml_model_file_read(const char *path, kml_model *m, kml_train_summary *summary, kml_error *err)
{
    memset(m, 0, sizeof *m);
    if (access(path, R_OK) != 0) return kml_error_set(err, "%s: cannot open the model file (missing or unreadable)", path);
    quiet_state q;
    quiet_begin(&q);
    int rc;
    if (H5Fis_hdf5(path) <= 0) {
        rc = kml_error_set(err, "%s: not an HDF5 file (a .kml model is HDF5)", path);
    } else {
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f < 0) {
            rc = kml_error_set(err, "%s: cannot open as HDF5 (truncated or damaged?)", path);
        } else {
            rc = read_body(f, path, m, summary, err);
            H5Fclose(f);
        }
    }
    quiet_end(&q);
    if (rc) {
        kml_model_free(m);
        memset(m, 0, sizeof *m);
    }
    return rc;
}
