/* tests/data_test_util.h: helpers shared by the data loader tests (write a file, load with options,
 * expect an error message fragment). Files are written into the test's working directory with a name
 * prefix per program, so test programs running in parallel never share a file. */
#ifndef KILOML_DATA_TEST_UTIL_H
#define KILOML_DATA_TEST_UTIL_H

#include <stdio.h>
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
