/* test_data_args.c: the shared data options (cli/data_args.c): every option reaches its field through
 * getopt_long, bad values are refused with the option named, and foreign options are left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "data_args.h"

static const struct option longopts[] = {
    KML_DATA_LONG_OPTIONS
    {"hidden", required_argument, NULL, 'H'},
    {NULL, 0, NULL, 0}};

/* Parse argv; returns the first negative kml_data_arg result, or the count of foreign options seen. */
static int parse(int argc, char **argv, kml_data_opts *o, kml_error *err)
{
    kml_data_opts_init(o);
    optind = 0;
    opterr = 0;
    int c, foreign = 0;
    while ((c = getopt_long(argc, argv, "H:", longopts, NULL)) != -1) {
        int r = kml_data_arg(c, optarg, o, err);
        if (r < 0) return r;
        if (r == 0) foreign++;
    }
    return foreign;
}

static void every_option_reaches_its_field(void **state)
{
    (void)state;
    char *argv[] = {"train", "--data", "a.csv", "--test-data", "b.h5", "--labels", "y2", "--x-name", "feat",
                    "--lengths-name", "len", "--group", "subject", "--timesteps", "128", "--layout", "long",
                    "--label-col", "3", "--skip-cols", "1,4", "--group-col", "2", "--test-frac", "0.25",
                    "--data-seed", "18446744073709551615", "-H", "32", NULL};
    int argc = (int)(sizeof argv / sizeof argv[0]) - 1;
    kml_data_opts o;
    kml_error err = {{0}};
    assert_int_equal(parse(argc, argv, &o, &err), 1); /* -H is not ours */
    assert_string_equal(o.path, "a.csv");
    assert_string_equal(o.test_path, "b.h5");
    assert_string_equal(o.labels, "y2");
    assert_string_equal(o.x_name, "feat");
    assert_string_equal(o.lengths_name, "len");
    assert_string_equal(o.group_name, "subject");
    assert_int_equal(o.timesteps, 128);
    assert_int_equal(o.layout, KML_LAYOUT_LONG);
    assert_int_equal(o.label_col, 3);
    assert_string_equal(o.skip_cols, "1,4");
    assert_int_equal(o.group_col, 2);
    assert_float_equal(o.test_frac, 0.25, 0);
    assert_true(o.seed == UINT64_MAX);
}

static void defaults(void **state)
{
    (void)state;
    char *argv[] = {"train", NULL};
    kml_data_opts o;
    kml_error err = {{0}};
    assert_int_equal(parse(1, argv, &o, &err), 0);
    assert_null(o.path);
    assert_null(o.test_path);
    assert_string_equal(o.x_name, "X");
    assert_string_equal(o.labels, "y");
    assert_string_equal(o.lengths_name, "lengths");
    assert_null(o.group_name);
    assert_int_equal(o.layout, KML_LAYOUT_WIDE);
    assert_int_equal(o.label_col, -1);
    assert_int_equal(o.group_col, -1);
    assert_float_equal(o.test_frac, 0.2, 0);
    assert_true(o.seed == 0);
}

static void expect_bad(const char *opt, const char *val, const char *fragment)
{
    char *argv[] = {"x", (char *)opt, (char *)val, NULL};
    kml_data_opts o;
    kml_error err = {{0}};
    assert_int_equal(parse(3, argv, &o, &err), -1);
    if (!strstr(err.msg, fragment)) fail_msg("'%s %s': message lacks '%s': %s", opt, val, fragment, err.msg);
}

static void bad_values_are_refused(void **state)
{
    (void)state;
    expect_bad("--timesteps", "0", "--timesteps: expected an integer in 1..");
    expect_bad("--timesteps", "12x", "--timesteps: expected an integer");
    expect_bad("--layout", "tall", "--layout: expected 'wide' or 'long'");
    expect_bad("--label-col", "-1", "--label-col: expected an integer");
    expect_bad("--skip-cols", "1,,2", "--skip-cols: expected 0-based column indices");
    expect_bad("--skip-cols", "1,", "--skip-cols: trailing comma");
    expect_bad("--group-col", "a", "--group-col: expected an integer");
    expect_bad("--test-frac", "1", "--test-frac: expected a fraction strictly between 0 and 1");
    expect_bad("--test-frac", "0", "--test-frac");
    expect_bad("--data-seed", "-3", "--data-seed: expected a non-negative integer");
    expect_bad("--data", "", "--data: expected a non-empty value");
}

static void codes_do_not_collide(void **state)
{
    (void)state;
    kml_data_opts o;
    kml_data_opts_init(&o);
    kml_error err = {{0}};
    for (int c = 0; c < 256; c++) assert_int_equal(kml_data_arg(c, "1", &o, &err), 0);
    assert_int_equal(kml_data_arg(KML_DATA_OPT_END, "1", &o, &err), 0);
    assert_true(strlen(KML_DATA_HELP) > 200);
    assert_non_null(strstr(KML_DATA_HELP, "--test-data"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_option_reaches_its_field),
        cmocka_unit_test(defaults),
        cmocka_unit_test(bad_values_are_refused),
        cmocka_unit_test(codes_do_not_collide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
