/* load.c: kml_data_load: pick the loader by file signature, read train and test, number the classes,
 * hold out a seeded stratified test split when there is no test data. */
#include "kiloml/dataset.h"
#include "load_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void kml_raw_labels_free(kml_raw_labels *r)
{
    if (!r) return;
    for (int i = 0; i < r->n_names; i++) free(r->names[i]);
    free(r->names);
    memset(r, 0, sizeof *r);
}

static int has_h5_extension(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (!strcasecmp(dot, ".h5") || !strcasecmp(dot, ".hdf5") || !strcasecmp(dot, ".he5") ||
                   !strcasecmp(dot, ".hdf"));
}

/* Read one file as a split. HDF5: `suffix` names the split; when `optional` and absent, returns 1.
 * For a --test-data HDF5 file, suffix is NULL: X_test if present, else X_train. */
static int load_file(const char *path, const kml_data_opts *o, const char *suffix, int optional, kml_dataset *d,
                     kml_raw_labels *raw, kml_error *err)
{
    memset(raw, 0, sizeof *raw);
    int h5 = kml_data_file_is_hdf5(path, err);
    if (h5 < 0) return -1;
    if (h5 || has_h5_extension(path)) {
        if (!suffix) {
            char xn[256];
            snprintf(xn, sizeof xn, "%s_test", o->x_name);
            int has = kml_h5_has(path, xn, err);
            if (has < 0) return -1;
            suffix = has ? "test" : "train";
        }
        return kml_h5_load_split(path, o, suffix, optional, d, err);
    }
    return kml_csv_load(path, o, d, raw, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted union of the label names of both files; rewrite y as indices into it. */
static int number_string_labels(kml_data *out, kml_raw_labels *rtr, kml_raw_labels *rte, kml_error *err)
{
    int total = rtr->n_names + rte->n_names;
    char **all = malloc((size_t)(total ? total : 1) * sizeof *all);
    if (!all) return kml_error_set(err, "out of memory numbering class names");
    memcpy(all, rtr->names, (size_t)rtr->n_names * sizeof *all);
    if (rte->n_names) memcpy(all + rtr->n_names, rte->names, (size_t)rte->n_names * sizeof *all);
    qsort(all, (size_t)total, sizeof *all, cmp_str);
    int C = 0;
    for (int i = 0; i < total; i++)
        if (C == 0 || strcmp(all[i], all[C - 1])) all[C++] = all[i];
    if (C > KML_MAX_CLASSES) {
        free(all);
        return kml_error_set(err, "%d distinct label names; expected at most %d classes", C, KML_MAX_CLASSES);
    }
    char **names = calloc((size_t)(C ? C : 1), sizeof *names);
    if (!names) {
        free(all);
        return kml_error_set(err, "out of memory numbering class names");
    }
    for (int c = 0; c < C; c++) {
        names[c] = malloc(strlen(all[c]) + 1);
        if (!names[c]) {
            for (int k = 0; k < c; k++) free(names[k]);
            free(names);
            free(all);
            return kml_error_set(err, "out of memory numbering class names");
        }
        strcpy(names[c], all[c]);
    }
    free(all);
    kml_dataset *sets[2] = {&out->train, &out->test};
    kml_raw_labels *raws[2] = {rtr, rte};
    for (int s = 0; s < 2; s++) {
        if (!raws[s]->is_string) continue;
        for (int i = 0; i < sets[s]->n; i++) {
            const char *nm = raws[s]->names[sets[s]->y[i]];
            char **hit = bsearch(&nm, names, (size_t)C, sizeof *names, cmp_str);
            sets[s]->y[i] = (int32_t)(hit - names);
        }
    }
    out->C = C;
    out->class_names = names;
    return 0;
}

/* Extend every series of d to T steps (T > d->T): zero padding after the old steps, recorded in len. */
static int repad(kml_dataset *d, int T, kml_error *err)
{
    size_t F = (size_t)d->F, old = (size_t)d->T;
    float *X = calloc((size_t)(d->n ? d->n : 1) * (size_t)T * F, sizeof *X);
    int32_t *len = d->len ? d->len : malloc((size_t)(d->n ? d->n : 1) * sizeof *len);
    if (!X || !len) {
        free(X);
        if (len != d->len) free(len);
        return kml_error_set(err, "out of memory padding %d series to %d steps", d->n, T);
    }
    for (int i = 0; i < d->n; i++) {
        memcpy(X + (size_t)i * T * F, d->X + (size_t)i * old * F, old * F * sizeof *X);
        if (!d->len) len[i] = d->T;
    }
    free(d->X);
    d->X = X;
    d->len = len;
    d->T = T;
    return 0;
}

static int hold_out(kml_data *out, const kml_data_opts *o, kml_error *err)
{
    if (!(o->test_frac > 0.0 && o->test_frac < 1.0))
        return kml_error_set(err, "%s: no test data, and the hold-out fraction %g is not strictly between 0 and 1",
                             o->path, o->test_frac);
    kml_dataset all = out->train;
    unsigned char *pick = malloc((size_t)(all.n ? all.n : 1));
    if (!pick) return kml_error_set(err, "out of memory holding out the test split");
    int k = kml_stratified_pick(all.y, all.n, out->C, o->test_frac, o->seed, pick);
    if (k < 0) {
        free(pick);
        return kml_error_set(err, "out of memory holding out the test split");
    }
    int *itr = malloc((size_t)(all.n ? all.n : 1) * sizeof *itr);
    int *ite = malloc((size_t)(all.n ? all.n : 1) * sizeof *ite);
    if (!itr || !ite) {
        free(pick);
        free(itr);
        free(ite);
        return kml_error_set(err, "out of memory holding out the test split");
    }
    int ntr = 0, nte = 0;
    for (int i = 0; i < all.n; i++) {
        if (pick[i]) ite[nte++] = i;
        else itr[ntr++] = i;
    }
    kml_dataset tr = {0}, te = {0};
    int rc = kml_dataset_subset(&all, itr, ntr, &tr, err);
    if (rc == 0) rc = kml_dataset_subset(&all, ite, nte, &te, err);
    free(pick);
    free(itr);
    free(ite);
    if (rc) {
        kml_dataset_free(&tr);
        return -1;
    }
    kml_dataset_free(&out->train);
    out->train = tr;
    out->test = te;
    out->test_held_out = 1;
    return 0;
}

int kml_data_load(const kml_data_opts *o, kml_data *out, kml_error *err)
{
    memset(out, 0, sizeof *out);
    if (!o->path || !o->path[0]) return kml_error_set(err, "no training data: give --data FILE (HDF5 or CSV)");
    kml_raw_labels rtr = {0}, rte = {0};
    int rc = load_file(o->path, o, "train", 0, &out->train, &rtr, err);
    int have_test = 0;
    if (rc == 0 && o->test_path) {
        rc = load_file(o->test_path, o, NULL, 0, &out->test, &rte, err);
        have_test = rc == 0;
    } else if (rc == 0) {
        int h5 = kml_data_file_is_hdf5(o->path, err);
        if (h5 < 0) rc = -1;
        else if (h5) {
            int r = kml_h5_load_split(o->path, o, "test", 1, &out->test, err);
            if (r < 0) rc = -1;
            have_test = r == 0;
        }
    }
    const char *test_name = o->test_path ? o->test_path : o->path;
    /* long-layout CSV: T comes from the longest series of each file; pad the shorter file's series */
    if (rc == 0 && have_test && o->layout == KML_LAYOUT_LONG && o->timesteps <= 0 && out->test.F == out->train.F &&
        out->test.T != out->train.T) {
        if (out->test.T < out->train.T) rc = repad(&out->test, out->train.T, err);
        else rc = repad(&out->train, out->test.T, err);
    }
    if (rc == 0 && have_test && (out->test.T != out->train.T || out->test.F != out->train.F))
        rc = kml_error_set(err, "%s: test series are %d steps x %d features but training series (%s) are %d x %d; "
                                "expected the same shape",
                           test_name, out->test.T, out->test.F, o->path, out->train.T, out->train.F);
    if (rc == 0 && have_test && rtr.is_string != rte.is_string)
        rc = kml_error_set(err, "%s: labels are %s but the training labels in %s are %s; expected the same kind",
                           test_name, rte.is_string ? "names" : "integers", o->path,
                           rtr.is_string ? "names" : "integers");
    if (rc == 0) {
        if (rtr.is_string) {
            rc = number_string_labels(out, &rtr, &rte, err);
        } else {
            int C = 0;
            for (int i = 0; i < out->train.n; i++)
                if (out->train.y[i] + 1 > C) C = out->train.y[i] + 1;
            for (int i = 0; have_test && i < out->test.n; i++)
                if (out->test.y[i] + 1 > C) C = out->test.y[i] + 1;
            out->C = C;
        }
    }
    kml_raw_labels_free(&rtr);
    kml_raw_labels_free(&rte);
    if (rc == 0 && o->features) {
        int *idx = NULL, n = 0;
        rc = kml_features_parse(o->features, out->train.F, &idx, &n, err);
        if (rc == 0) rc = kml_dataset_select_features(&out->train, idx, n, err);
        if (rc == 0 && have_test) rc = kml_dataset_select_features(&out->test, idx, n, err);
        free(idx);
    }
    if (rc == 0 && !have_test) rc = hold_out(out, o, err);
    if (rc) {
        kml_data_free(out);
        return -1;
    }
    return 0;
}
