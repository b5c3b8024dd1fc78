/* bench/h5subset.c: write a smaller copy of a kiloml HDF5 dataset for the quick paper run.
 *
 *   h5subset IN.h5 OUT.h5 --train-stride K [--test-stride K] [--train-max N] [--test-max N] [--steps S]
 *
 * Every root dataset whose name ends in "_train" keeps the rows 0, K, 2K, ... along its first
 * dimension (at most N of them); "_test" likewise with its own stride and limit; every other root
 * dataset (dequantisation tables, ...) is copied whole. --steps S re-reads every X_* series of shape
 * (N, T, F) as S steps of T*F/S features (the same bytes: Fashion-MNIST's 784 pixels as 28 rows of 28,
 * the row-by-row variant its README mentions). Element types are kept as stored (uint16
 * codes stay uint16). A stride keeps the class mix of files ordered by subject or speaker. The output
 * is written to OUT.tmp and renamed, so a killed run never leaves a half-written file. */
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    hid_t out;
    hsize_t stride[2], max[2]; /* [0] train, [1] test */
    hsize_t steps;             /* 0: keep the shape */
    int failed;
} job;

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int copy_dataset(hid_t in, const char *name, job *j)
{
    int which = ends_with(name, "_train") ? 0 : ends_with(name, "_test") ? 1 : -1;
    int rc = -1;
    hid_t d = H5Dopen2(in, name, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t ftype = H5Dget_type(d), type = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
    hid_t fspace = H5Dget_space(d), mspace = -1, ospace = -1, od = -1;
    int rank = H5Sget_simple_extent_ndims(fspace);
    hsize_t dims[H5S_MAX_RANK], odims[H5S_MAX_RANK];
    void *buf = NULL;
    if (rank < 0 || H5Sget_simple_extent_dims(fspace, dims, NULL) < 0) goto done;
    memcpy(odims, dims, sizeof dims);
    if (which >= 0 && rank >= 1) {
        hsize_t k = j->stride[which];
        hsize_t n = (dims[0] + k - 1) / k;
        if (j->max[which] && n > j->max[which]) n = j->max[which];
        odims[0] = n;
        hsize_t start[H5S_MAX_RANK] = {0}, step[H5S_MAX_RANK], count[H5S_MAX_RANK];
        for (int i = 0; i < rank; i++) {
            step[i] = 1;
            count[i] = dims[i];
        }
        step[0] = k;
        count[0] = n;
        if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, step, count, NULL) < 0) goto done;
    }
    if (j->steps && rank == 3 && !strncmp(name, "X_", 2)) {
        hsize_t tf = odims[1] * odims[2];
        if (tf % j->steps) {
            fprintf(stderr, "h5subset: %s: %llu values per series do not split into %llu steps\n", name,
                    (unsigned long long)tf, (unsigned long long)j->steps);
            goto done;
        }
        odims[1] = j->steps;
        odims[2] = tf / j->steps;
    }
    size_t elems = 1;
    for (int i = 0; i < rank; i++) elems *= (size_t)odims[i];
    size_t esize = H5Tget_size(type);
    buf = malloc(elems ? elems * esize : 1);
    if (!buf) goto done;
    hsize_t rdims[H5S_MAX_RANK];
    memcpy(rdims, dims, sizeof dims);
    if (which >= 0 && rank >= 1) rdims[0] = odims[0];
    mspace = rank ? H5Screate_simple(rank, rdims, NULL) : H5Screate(H5S_SCALAR);
    if (H5Dread(d, type, mspace, fspace, H5P_DEFAULT, buf) < 0) goto done;
    ospace = rank ? H5Screate_simple(rank, odims, NULL) : H5Screate(H5S_SCALAR);
    od = H5Dcreate2(j->out, name, ftype, ospace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (od < 0 || H5Dwrite(od, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) goto done;
    rc = 0;
done:
    free(buf);
    if (od >= 0) H5Dclose(od);
    if (ospace >= 0) H5Sclose(ospace);
    if (mspace >= 0) H5Sclose(mspace);
    H5Sclose(fspace);
    H5Tclose(type);
    H5Tclose(ftype);
    H5Dclose(d);
    return rc;
}

static herr_t visit(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    job *j = data;
    H5O_info_t oi;
    if (H5Oget_info_by_name2(group, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
    if (oi.type != H5O_TYPE_DATASET) return 0;
    if (copy_dataset(group, name, j)) {
        fprintf(stderr, "h5subset: cannot copy dataset '%s'\n", name);
        j->failed = 1;
        return -1;
    }
    return 0;
}

static int parse_count(const char *opt, const char *arg, hsize_t lo, hsize_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg ? arg : "", &end, 10);
    if (!arg || !*arg || *end || errno || v < lo) {
        fprintf(stderr, "h5subset: %s: expected an integer >= %llu, got '%s'\n", opt, (unsigned long long)lo,
                arg ? arg : "");
        return -1;
    }
    *out = (hsize_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: h5subset IN.h5 OUT.h5 --train-stride K [--test-stride K] [--train-max N] "
                        "[--test-max N] [--steps S]\n");
        return 2;
    }
    job j = {.stride = {1, 1}, .max = {0, 0}};
    for (int i = 3; i < argc; i += 2) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = !strcmp(o, "--train-stride")  ? parse_count(o, v, 1, &j.stride[0])
                : !strcmp(o, "--test-stride") ? parse_count(o, v, 1, &j.stride[1])
                : !strcmp(o, "--train-max")   ? parse_count(o, v, 0, &j.max[0])
                : !strcmp(o, "--test-max")    ? parse_count(o, v, 0, &j.max[1])
                : !strcmp(o, "--steps")       ? parse_count(o, v, 1, &j.steps)
                                              : (fprintf(stderr, "h5subset: unknown option '%s'\n", o), -1);
        if (r) return 2;
    }
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]) >= (int)sizeof tmp) return 2;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t in = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (in < 0) {
        fprintf(stderr, "h5subset: cannot open '%s' as HDF5\n", argv[1]);
        return 1;
    }
    j.out = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (j.out < 0) {
        fprintf(stderr, "h5subset: cannot create '%s'\n", tmp);
        H5Fclose(in);
        return 1;
    }
    herr_t it = H5Literate(in, H5_INDEX_NAME, H5_ITER_INC, NULL, visit, &j);
    H5Fclose(j.out);
    H5Fclose(in);
    if (it < 0 || j.failed || rename(tmp, argv[2])) {
        fprintf(stderr, "h5subset: failed writing '%s'\n", argv[2]);
        remove(tmp);
        return 1;
    }
    return 0;
}
