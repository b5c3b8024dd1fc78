/* qmodel_file.c: the /quant group of a .kml file (layout in kiloml/qmodel_file.h). */
#include <stdlib.h>
#include <string.h>

#include "kiloml/qmodel_file.h"

/* ---- writing ---- */
static int wattr_int(hid_t loc, const char *name, long v)
{
    long long x = v;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? -1 : H5Acreate2(loc, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (a >= 0 && H5Awrite(a, H5T_NATIVE_LLONG, &x) >= 0) ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

static int wattr_str(hid_t loc, const char *name, const char *s)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(s));
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (a >= 0 && H5Awrite(a, t, s) >= 0) ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

static int wds(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *data, hsize_t n)
{
    hsize_t dims[1] = {n};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t d = sp < 0 ? -1 : H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (d >= 0 && (n == 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0)) ? 0 : -1;
    if (d >= 0) H5Dclose(d);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

static int write_mat(hid_t q, const char *name, const kml_mat_q *m)
{
    hid_t g = H5Gcreate2(q, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    int sparse = m->layout == KML_MAT_SPARSE || m->layout == KML_MAT_BITMAP;
    hsize_t nv = sparse ? m->nnz : (hsize_t)m->rows * m->cols;
    int rc = wattr_int(g, "rows", m->rows) | wattr_int(g, "cols", m->cols) |
             wattr_str(g, "layout", kml_mat_layout_name(m->layout)) | wattr_int(g, "bits", m->wbits) |
             wattr_int(g, "q", m->q) | wattr_int(g, "nnz", sparse ? m->nnz : (long)nv);
    if (m->wbits == 8)
        rc |= wds(g, "values", H5T_STD_I8LE, H5T_NATIVE_INT8, m->w8, nv);
    else
        rc |= wds(g, "values", H5T_STD_I16LE, H5T_NATIVE_INT16, m->w16, nv);
    if (m->layout == KML_MAT_BITMAP)
        rc |= wds(g, "bitmap", H5T_STD_U8LE, H5T_NATIVE_UINT8, m->bitmap, (hsize_t)m->cols * ((m->rows + 7u) / 8u));
    if (m->layout == KML_MAT_SPARSE) {
        rc |= wds(g, "colptr", H5T_STD_U16LE, H5T_NATIVE_UINT16, m->colptr, (hsize_t)m->cols + 1);
        if (m->idx8)
            rc |= wds(g, "idx", H5T_STD_U8LE, H5T_NATIVE_UINT8, m->idx8, nv);
        else
            rc |= wds(g, "idx", H5T_STD_U16LE, H5T_NATIVE_UINT16, m->idx16, nv);
    }
    H5Gclose(g);
    return rc ? -1 : 0;
}

static const kml_mat_q *slot_mat(const kml_rnn_q *q, int s)
{
    switch (s) {
    case KML_QS_WA: return &q->W.a;
    case KML_QS_WB: return q->W.rank ? &q->W.b : NULL;
    case KML_QS_UA: return &q->U.a;
    case KML_QS_UB: return q->U.rank ? &q->U.b : NULL;
    default: return &q->V;
    }
}

static const char *slot_name(int rank_w, int rank_u, int s)
{
    static const char *full[KML_QS_COUNT] = {"W", NULL, "U", NULL, "V"};
    static const char *low[KML_QS_COUNT] = {"W1", "W2", "U1", "U2", "V"};
    if (s == KML_QS_WA || s == KML_QS_WB) return rank_w ? low[s] : full[s];
    if (s == KML_QS_UA || s == KML_QS_UB) return rank_u ? low[s] : full[s];
    return "V";
}

int kml_qmodel_file_extra(hid_t file, void *ctx, kml_error *err)
{
    const kml_qmodel *qm = ctx;
    const kml_rnn_q *q = &qm->q;
    hid_t g = H5Gcreate2(file, "quant", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return kml_error_set(err, "cannot create the /quant group");
    int rc = wattr_int(g, "quant_format", KML_QUANT_FORMAT_VERSION) |
             wattr_int(g, "deploy_format", KML_DEPLOY_FORMAT_VERSION) |
             wattr_str(g, "cell", q->cell == KML_RNN_FASTGRNN ? "fastgrnn" : "fastrnn") |
             wattr_str(g, "gate_nl", kml_nonlin_name((kml_nonlin)q->gate_nl)) |
             wattr_str(g, "update_nl", kml_nonlin_name((kml_nonlin)q->update_nl)) |
             wattr_int(g, "D", q->D) | wattr_int(g, "H", q->H) | wattr_int(g, "C", q->C) |
             wattr_int(g, "rank_w", q->W.rank) | wattr_int(g, "rank_u", q->U.rank) | wattr_int(g, "q_in", q->q_in) |
             wattr_int(g, "q_x", q->q_x) | wattr_int(g, "q_h", q->q_h) | wattr_int(g, "q_a", q->q_a) |
             wattr_int(g, "q_g", q->q_g) | wattr_int(g, "q_mid_w", q->W.q_mid) | wattr_int(g, "q_mid_u", q->U.q_mid) |
             wattr_int(g, "norm_shift", q->norm_shift) | wattr_int(g, "s_alpha", q->s_alpha) |
             wattr_int(g, "s_beta", q->s_beta) | wattr_int(g, "s_zeta", q->s_zeta) | wattr_int(g, "s_nu", q->s_nu) |
             wattr_str(g, "sparse_format", qm->fmt.sparse_fmt == KML_SPFMT_CSC      ? "csc"
                                           : qm->fmt.sparse_fmt == KML_SPFMT_BITMAP ? "bitmap"
                                                                                    : "auto");
    for (int s = 0; s < KML_QS_COUNT; s++) {
        const kml_mat_q *m = slot_mat(q, s);
        if (m) rc |= write_mat(g, slot_name(q->W.rank, q->U.rank, s), m);
    }
    rc |= wds(g, "b_h", H5T_STD_I16LE, H5T_NATIVE_INT16, q->b_h, q->H);
    if (q->cell == KML_RNN_FASTGRNN) rc |= wds(g, "b_g", H5T_STD_I16LE, H5T_NATIVE_INT16, q->b_g, q->H);
    rc |= wds(g, "v", H5T_STD_I32LE, H5T_NATIVE_INT32, q->v, q->C);
    if (q->norm_m) {
        rc |= wds(g, "norm_m", H5T_STD_I16LE, H5T_NATIVE_INT16, q->norm_m, q->D);
        rc |= wds(g, "norm_s", H5T_STD_I16LE, H5T_NATIVE_INT16, q->norm_s, q->D);
    }
    H5Gclose(g);
    return rc ? kml_error_set(err, "cannot write the /quant group") : 0;
}

/* ---- reading ---- */
typedef struct { H5E_auto2_t fn; void *data; } quiet;
static void quiet_on(quiet *q)
{
    H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
static void quiet_off(const quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->fn, q->data); }

int kml_qmodel_file_has(const char *path)
{
    quiet qs;
    quiet_on(&qs);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int r = -1;
    if (f >= 0) {
        r = H5Lexists(f, "quant", H5P_DEFAULT) > 0 ? 1 : 0;
        H5Fclose(f);
    }
    quiet_off(&qs);
    return r;
}

typedef struct {
    const char *path;
    kml_error *err;
} rctx;

static int rattr_int(rctx *c, hid_t loc, const char *where, const char *name, long lo, long hi, long *out)
{
    long long v = 0;
    if (H5Aexists(loc, name) <= 0)
        return kml_error_set(c->err, "%s: %s has no attribute '%s'", c->path, where, name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    int ok = t >= 0 && H5Tget_class(t) == H5T_INTEGER && H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0;
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    if (!ok) return kml_error_set(c->err, "%s: %s attribute '%s' is not an integer", c->path, where, name);
    if (v < lo || v > hi)
        return kml_error_set(c->err, "%s: %s attribute '%s' = %lld is outside [%ld, %ld]", c->path, where, name, v,
                             lo, hi);
    *out = (long)v;
    return 0;
}

static int rattr_str(rctx *c, hid_t loc, const char *where, const char *name, char *out, size_t cap)
{
    if (H5Aexists(loc, name) <= 0)
        return kml_error_set(c->err, "%s: %s has no attribute '%s'", c->path, where, name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    int ok = 0;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0) {
        size_t n = H5Tget_size(t);
        char *buf = calloc(n + 1, 1);
        if (buf && H5Aread(a, t, buf) >= 0) {
            snprintf(out, cap, "%s", buf);
            ok = 1;
        }
        free(buf);
    }
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return ok ? 0 : kml_error_set(c->err, "%s: %s attribute '%s' is not a fixed-length string", c->path, where, name);
}

/* 1-D dataset of exactly n elements read as mtype into a fresh buffer of n * esize bytes. */
static int rds(rctx *c, hid_t loc, const char *where, const char *name, hid_t mtype, size_t esize, hsize_t n,
               void **out)
{
    *out = NULL;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return kml_error_set(c->err, "%s: %s has no dataset '%s'", c->path, where, name);
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t sp = d < 0 ? -1 : H5Dget_space(d);
    hid_t t = d < 0 ? -1 : H5Dget_type(d);
    hsize_t dims[2] = {0, 0};
    int nd = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    if (nd == 1) H5Sget_simple_extent_dims(sp, dims, NULL);
    int rc = 0;
    if (d < 0 || nd != 1 || dims[0] != n || H5Tget_class(t) != H5T_INTEGER) {
        rc = kml_error_set(c->err, "%s: %s/%s must be a 1-D integer dataset of %llu elements", c->path, where, name,
                           (unsigned long long)n);
    } else {
        *out = malloc((size_t)(n ? n : 1) * esize);
        if (!*out)
            rc = kml_error_set(c->err, "out of memory");
        else if (n && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
            rc = kml_error_set(c->err, "%s: cannot read %s/%s", c->path, where, name);
    }
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    return rc;
}

static int read_mat(rctx *c, hid_t q, const char *name, uint16_t rows, uint16_t cols, kml_qmat_buf *buf,
                    kml_mat_q *m)
{
    char where[64], layout[16];
    long r, k, bits, qq, nnz;
    snprintf(where, sizeof where, "/quant/%s", name);
    if (H5Lexists(q, name, H5P_DEFAULT) <= 0) return kml_error_set(c->err, "%s: no group %s", c->path, where);
    hid_t g = H5Gopen2(q, name, H5P_DEFAULT);
    if (g < 0) return kml_error_set(c->err, "%s: %s is not a group", c->path, where);
    int rc = -1;
    if (rattr_int(c, g, where, "rows", rows, rows, &r) || rattr_int(c, g, where, "cols", cols, cols, &k) ||
        rattr_int(c, g, where, "bits", 8, 16, &bits) || rattr_int(c, g, where, "q", 0, 30, &qq) ||
        rattr_int(c, g, where, "nnz", 0, 65535L * 65535L, &nnz) ||
        rattr_str(c, g, where, "layout", layout, sizeof layout))
        goto done;
    if (bits != 8 && bits != 16) {
        kml_error_set(c->err, "%s: %s has %ld-bit weights (8 or 16)", c->path, where, bits);
        goto done;
    }
    /* "bitmap" is newer than the other two: a file written before it never says it */
    int csc = strcmp(layout, "sparse") == 0, bm = strcmp(layout, "bitmap") == 0, sparse = csc || bm;
    if (!sparse && strcmp(layout, "dense") != 0) {
        kml_error_set(c->err, "%s: %s has an unknown layout '%s' (expected dense, sparse or bitmap)", c->path, where,
                      layout);
        goto done;
    }
    hsize_t nv = sparse ? (hsize_t)nnz : (hsize_t)rows * cols;
    if (sparse && nnz > 65535) {
        kml_error_set(c->err, "%s: %s has %ld nonzeros (at most 65535)", c->path, where, nnz);
        goto done;
    }
    memset(m, 0, sizeof *m);
    m->rows = rows;
    m->cols = cols;
    m->wbits = (uint8_t)bits;
    m->q = (uint8_t)qq;
    m->layout = bm ? KML_MAT_BITMAP : csc ? KML_MAT_SPARSE : KML_MAT_DENSE;
    m->nnz = (uint16_t)(sparse ? nnz : 0);
    void *p;
    if (bits == 8) {
        if (rds(c, g, where, "values", H5T_NATIVE_INT8, 1, nv, &p)) goto done;
        buf->w8 = p;
    } else {
        if (rds(c, g, where, "values", H5T_NATIVE_INT16, 2, nv, &p)) goto done;
        buf->w16 = p;
    }
    if (bm) {
        if (rds(c, g, where, "bitmap", H5T_NATIVE_UINT8, 1, (hsize_t)cols * ((rows + 7u) / 8u), &p)) goto done;
        buf->bitmap = p;
    }
    if (csc) {
        if (rds(c, g, where, "colptr", H5T_NATIVE_UINT16, 2, (hsize_t)cols + 1, &p)) goto done;
        buf->colptr = p;
        if (rows <= 256) {
            if (rds(c, g, where, "idx", H5T_NATIVE_UINT8, 1, nv, &p)) goto done;
            buf->idx8 = p;
        } else {
            if (rds(c, g, where, "idx", H5T_NATIVE_UINT16, 2, nv, &p)) goto done;
            buf->idx16 = p;
        }
    }
    m->w8 = buf->w8;
    m->w16 = buf->w16;
    m->colptr = buf->colptr;
    m->idx8 = buf->idx8;
    m->idx16 = buf->idx16;
    m->bitmap = buf->bitmap;
    rc = 0;
done:
    H5Gclose(g);
    return rc;
}

/* An integer nonlinearity by name: quanttanh, quantsigm or hardsigm (the deploy KML_ACT_* numbers are the
 * trainer's kml_nonlin numbers). */
static int read_act(rctx *c, hid_t g, const char *w, const char *name, uint8_t *out)
{
    char s[32];
    kml_nonlin nl;
    if (rattr_str(c, g, w, name, s, sizeof s)) return -1;
    if (kml_nonlin_parse(s, &nl) || nl == KML_NL_RELU)
        return kml_error_set(c->err, "%s: %s %s '%s' (quanttanh, quantsigm, hardsigm, tanh or sigmoid)", c->path, w,
                             name, s);
    *out = (uint8_t)nl;
    return 0;
}

static int read_group(rctx *c, hid_t g, kml_qmodel *qm)
{
    kml_rnn_q *q = &qm->q;
    const char *w = "/quant";
    char cell[32];
    long v[24];
    if (rattr_int(c, g, w, "quant_format", KML_QUANT_FORMAT_VERSION, KML_QUANT_FORMAT_VERSION, &v[0]))
        return kml_error_prefix(c->err, "unsupported quantized-model format");
    if (rattr_int(c, g, w, "deploy_format", KML_DEPLOY_FORMAT_VERSION, KML_DEPLOY_FORMAT_VERSION, &v[0]))
        return kml_error_prefix(c->err, "written for another deploy format (re-run kiloml quantize)");
    if (rattr_str(c, g, w, "cell", cell, sizeof cell)) return -1;
    if (strcmp(cell, "fastrnn") && strcmp(cell, "fastgrnn"))
        return kml_error_set(c->err, "%s: /quant cell '%s' (fastrnn or fastgrnn)", c->path, cell);
    static const char *names[] = {"D", "H", "C", "rank_w", "rank_u", "q_in", "q_x", "q_h", "q_a", "q_g",
                                  "q_mid_w", "q_mid_u", "norm_shift", "s_alpha", "s_beta", "s_zeta", "s_nu"};
    static const long lo[] = {1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    static const long hi[] = {65535, 65535, 65535, 255, 255, 15, 15, 15, 26, 14, 15, 15, 30, 16384, 16384, 16384, 16384};
    for (int i = 0; i < 17; i++)
        if (rattr_int(c, g, w, names[i], lo[i], hi[i], &v[i])) return -1;
    q->version = KML_DEPLOY_FORMAT_VERSION;
    q->cell = strcmp(cell, "fastgrnn") == 0 ? KML_RNN_FASTGRNN : KML_RNN_FASTRNN;
    if (read_act(c, g, w, "gate_nl", &q->gate_nl) || read_act(c, g, w, "update_nl", &q->update_nl)) return -1;
    q->D = (uint16_t)v[0];
    q->H = (uint16_t)v[1];
    q->C = (uint16_t)v[2];
    q->W.rank = (uint8_t)v[3];
    q->U.rank = (uint8_t)v[4];
    q->q_in = (uint8_t)v[5];
    q->q_x = (uint8_t)v[6];
    q->q_h = (uint8_t)v[7];
    q->q_a = (uint8_t)v[8];
    q->q_g = (uint8_t)v[9];
    q->W.q_mid = (uint8_t)v[10];
    q->U.q_mid = (uint8_t)v[11];
    q->norm_shift = (uint8_t)v[12];
    q->s_alpha = (int16_t)v[13];
    q->s_beta = (int16_t)v[14];
    q->s_zeta = (int16_t)v[15];
    q->s_nu = (int16_t)v[16];
    uint16_t D = q->D, H = q->H, C = q->C, rW = q->W.rank, rU = q->U.rank;
    uint16_t rows[KML_QS_COUNT] = {D, rW, H, rU, H};
    uint16_t cols[KML_QS_COUNT] = {rW ? rW : H, H, rU ? rU : H, H, C};
    kml_mat_q *dst[KML_QS_COUNT] = {&q->W.a, &q->W.b, &q->U.a, &q->U.b, &q->V};
    for (int s = 0; s < KML_QS_COUNT; s++) {
        const char *nm = slot_name(rW, rU, s);
        if (!nm) continue;
        if (read_mat(c, g, nm, rows[s], cols[s], &qm->mat[s], dst[s])) return -1;
    }
    void *p;
    if (rds(c, g, w, "b_h", H5T_NATIVE_INT16, 2, H, &p)) return -1;
    q->b_h = qm->b_h = p;
    if (q->cell == KML_RNN_FASTGRNN) {
        if (rds(c, g, w, "b_g", H5T_NATIVE_INT16, 2, H, &p)) return -1;
        q->b_g = qm->b_g = p;
    }
    if (rds(c, g, w, "v", H5T_NATIVE_INT32, 4, C, &p)) return -1;
    q->v = qm->v = p;
    if (H5Lexists(g, "norm_m", H5P_DEFAULT) > 0) {
        if (rds(c, g, w, "norm_m", H5T_NATIVE_INT16, 2, D, &p)) return -1;
        q->norm_m = qm->norm_m = p;
        if (rds(c, g, w, "norm_s", H5T_NATIVE_INT16, 2, D, &p)) return -1;
        q->norm_s = qm->norm_s = p;
    }
    /* the formats, as kml_qformat */
    kml_qformat *f = &qm->fmt;
    f->q_in = q->q_in;
    f->q_x = q->q_x;
    f->q_h = q->q_h;
    f->q_a = q->q_a;
    f->q_g = q->q_g;
    f->q_mid_w = q->W.q_mid;
    f->q_mid_u = q->U.q_mid;
    f->norm_shift = q->norm_shift;
    /* the CSC / bitmap choice the model was built with; absent (older files): auto */
    f->sparse_fmt = KML_SPFMT_AUTO;
    if (H5Aexists(g, "sparse_format") > 0) {
        char spf[16];
        if (rattr_str(c, g, w, "sparse_format", spf, sizeof spf)) return -1;
        if (kml_sparse_fmt_parse(spf, &f->sparse_fmt))
            return kml_error_set(c->err, "%s: /quant sparse_format '%s' (auto, csc or bitmap)", c->path, spf);
    }
    for (int s = 0; s < KML_QS_COUNT; s++) {
        f->bits[s] = dst[s]->wbits ? dst[s]->wbits : 8;
        f->q_mat[s] = dst[s]->q;
    }
    kml_status st = kml_rnn_validate_q(q);
    if (st != KML_OK)
        return kml_error_set(c->err, "%s: the integer model in /quant does not validate (%s)", c->path,
                             kml_status_name(st));
    return 0;
}

int kml_qmodel_read(const char *path, kml_qmodel *qm, kml_error *err)
{
    rctx c = {path, err};
    memset(qm, 0, sizeof *qm);
    quiet qs;
    quiet_on(&qs);
    int rc = -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        kml_error_set(err, "%s: cannot open as HDF5", path);
    } else {
        if (H5Lexists(f, "quant", H5P_DEFAULT) <= 0) {
            kml_error_set(err, "%s: not a quantized model (no /quant group; run kiloml quantize)", path);
        } else {
            hid_t g = H5Gopen2(f, "quant", H5P_DEFAULT);
            if (g < 0)
                kml_error_set(err, "%s: /quant is not a group", path);
            else {
                rc = read_group(&c, g, qm);
                H5Gclose(g);
            }
        }
        H5Fclose(f);
    }
    quiet_off(&qs);
    if (rc) kml_qmodel_free(qm);
    return rc;
}
