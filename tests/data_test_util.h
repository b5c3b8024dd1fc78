/* tests/data_test_util.h: helpers shared by the data loader tests (write a file, load with options,
 * expect an error message fragment) and by the tests that compare written files byte for byte. Files are written into the test's working directory with a name
 * prefix per program, so test programs running in parallel never share a file. */
#ifndef KILOML_DATA_TEST_UTIL_H
#define KILOML_DATA_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiloml/dataset.h"

static inline void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static inline void write_text(const char *path, const char *text)
{
    write_file(path, text, strlen(text));
}

/* An empty n x T x F dataset (X and y malloc'ed, contents unset; kml_dataset_free releases it). */
static inline void alloc_dataset(kml_dataset *d, int n, int T, int F)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->T = T;
    d->F = F;
    d->X = malloc(sizeof(float) * (size_t)n * T * F);
    d->y = malloc(sizeof(int32_t) * (size_t)n);
    assert_non_null(d->X);
    assert_non_null(d->y);
}

/* The whole file at p, malloc'ed into *out (the caller frees it); returns its size. */
static inline long read_file(const char *p, unsigned char **out)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = malloc((size_t)n);
    assert_int_equal(fread(*out, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return n;
}

/* Load path as training data and expect failure with every fragment (NULL-terminated) in the message. */
static inline void expect_load_error(const kml_data_opts *o, const char *const *fragments)
{
    kml_data d;
    kml_error err = {{0}};
    int rc = kml_data_load(o, &d, &err);
    if (rc == 0) kml_data_free(&d);
    if (rc == 0) fail_msg("expected a load error, got success");
    for (int i = 0; fragments[i]; i++)
        if (!strstr(err.msg, fragments[i]))
            fail_msg("message lacks '%s': %s", fragments[i], err.msg);
}

#define EXPECT_ERROR(opts, ...)                                  \
    do {                                                         \
        const char *const frags_[] = {__VA_ARGS__, NULL};        \
        expect_load_error((opts), frags_);                       \
    } while (0)

static inline void load_ok(const kml_data_opts *o, kml_data *d)
{
    kml_error err = {{0}};
    if (kml_data_load(o, d, &err) != 0) fail_msg("load failed: %s", err.msg);
}

#endif
