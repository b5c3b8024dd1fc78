/* emi_file.c: the /emi group of a .kml model file (kiloml/emi_file.h). */
#include "kiloml/emi_file.h"

#include <string.h>

static int put(hid_t g, const char *name, hid_t ftype, hid_t mtype, const void *v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    if (sp < 0) return -1;
    hid_t a = H5Acreate2(g, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, mtype, v) >= 0 ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

static int put_int(hid_t g, const char *name, int v) { return put(g, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v); }
static int put_dbl(hid_t g, const char *name, double v)
{
    return put(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

int kml_emi_file_write_extra(hid_t file, void *ctx, kml_error *err)
{
    const kml_emi_file_attrs *a = ctx;
    hid_t g = H5Gcreate2(file, "emi", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return kml_error_set(err, "model file: cannot create the /emi group");
    int rc = put_int(g, "window", a->window) | put_int(g, "stride", a->stride) | put_int(g, "k", a->k) |
             put_int(g, "negative_class", a->negative) | put_int(g, "rounds", a->rounds) |
             put_dbl(g, "frac_emi", a->frac_emi) | put_int(g, "T", a->T) |
             put_dbl(g, "val_bag_accuracy", a->val_bag_accuracy) |
             put_dbl(g, "test_bag_accuracy", a->test_bag_accuracy);
    H5Gclose(g);
    return rc ? kml_error_set(err, "model file: cannot write the /emi attributes") : 0;
}

static int get(hid_t g, const char *path, const char *name, hid_t mtype, void *v, kml_error *err)
{
    if (H5Aexists(g, name) <= 0)
        return kml_error_set(err, "%s: /emi has no attribute '%s' (damaged EMI model file)", path, name);
    hid_t a = H5Aopen(g, name, H5P_DEFAULT);
    int rc = a >= 0 && H5Aread(a, mtype, v) >= 0 ? 0 : -1;
    if (a >= 0) H5Aclose(a);
    return rc ? kml_error_set(err, "%s: cannot read /emi attribute '%s' as a number", path, name) : 0;
}

int kml_emi_file_read(const char *path, kml_emi_file_attrs *a, kml_error *err)
{
    memset(a, 0, sizeof *a);
    H5E_auto2_t fn;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &fn, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), g = -1;
    if (f < 0) {
        kml_error_set(err, "%s: cannot open as an HDF5 model file", path);
        goto done;
    }
    if (H5Lexists(f, "emi", H5P_DEFAULT) <= 0 || (g = H5Gopen2(f, "emi", H5P_DEFAULT)) < 0) {
        kml_error_set(err, "%s: not an EMI-RNN model (no /emi group: train it with `kiloml emi train`)", path);
        goto done;
    }
    if (get(g, path, "window", H5T_NATIVE_INT, &a->window, err) || get(g, path, "stride", H5T_NATIVE_INT, &a->stride, err) ||
        get(g, path, "k", H5T_NATIVE_INT, &a->k, err) ||
        get(g, path, "negative_class", H5T_NATIVE_INT, &a->negative, err) ||
        get(g, path, "rounds", H5T_NATIVE_INT, &a->rounds, err) ||
        get(g, path, "frac_emi", H5T_NATIVE_DOUBLE, &a->frac_emi, err) || get(g, path, "T", H5T_NATIVE_INT, &a->T, err) ||
        get(g, path, "val_bag_accuracy", H5T_NATIVE_DOUBLE, &a->val_bag_accuracy, err) ||
        get(g, path, "test_bag_accuracy", H5T_NATIVE_DOUBLE, &a->test_bag_accuracy, err))
        goto done;
    if (a->window < 1 || a->stride < 1 || a->k < 1 || a->negative < -1) {
        kml_error_set(err, "%s: /emi holds invalid settings (window %d, stride %d, k %d, negative %d)", path,
                      a->window, a->stride, a->k, a->negative);
        goto done;
    }
    rc = 0;
done:
    if (g >= 0) H5Gclose(g);
    if (f >= 0) H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, fn, data);
    return rc;
}

int kml_emi_file_has(const char *path)
{
    H5E_auto2_t fn;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &fn, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        rc = H5Lexists(f, "emi", H5P_DEFAULT) > 0 ? 1 : 0;
        H5Fclose(f);
    }
    H5Eset_auto2(H5E_DEFAULT, fn, data);
    return rc;
}
