/* test_data_csv.c: the CSV loader: wide and long layouts, header/delimiter/CRLF/quotes/BOM, string labels,
 * skipped and group columns, and one test per bad input, each asserting the message names the file, the
 * row and column, and what was wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "data_test_util.h"
#include "kiloml/dataset.h"

#define P(name) "data_csv_" name ".csv"

static kml_data_opts wide(const char *path, int T)
{
    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = path;
    o.timesteps = T;
    return o;
}

/* ---- bad input, one case each ---- */

static void ragged_row_short(void **state)
{
    (void)state;
    write_text(P("ragged"), "label,a,b\n0,1,2\n1,3\n0,4,5\n");
    kml_data_opts o = wide(P("ragged"), 2);
    EXPECT_ERROR(&o, P("ragged"), "row 3, column 3", "ragged row with 2 columns", "expected 3 columns");
}

static void ragged_row_long(void **state)
{
    (void)state;
    write_text(P("ragged2"), "0,1,2\n1,3,4,5\n");
    kml_data_opts o = wide(P("ragged2"), 2);
    EXPECT_ERROR(&o, P("ragged2"), "row 2, column 4", "ragged row, more than 3 columns");
}

static void non_numeric_cell(void **state)
{
    (void)state;
    write_text(P("nonnum"), "0,1,2,3,4\n1,5,6,abc,8\n");
    kml_data_opts o = wide(P("nonnum"), 2);
    EXPECT_ERROR(&o, P("nonnum"), "row 2, column 4", "'abc' is not a number");
}

static void nan_cell(void **state)
{
    (void)state;
    write_text(P("nan"), "label,x0,x1\n0,1,2\n1,NaN,2\n");
    kml_data_opts o = wide(P("nan"), 1);
    EXPECT_ERROR(&o, P("nan"), "row 3, column 2", "NaN is not allowed");
}

static void inf_cell(void **state)
{
    (void)state;
    write_text(P("inf"), "0,1,2\n1,3,-inf\n");
    kml_data_opts o = wide(P("inf"), 1);
    EXPECT_ERROR(&o, P("inf"), "row 2, column 3", "is Inf or beyond float range");
}

static void overflowing_cell(void **state)
{
    (void)state;
    write_text(P("big"), "0,1,1e39\n");
    kml_data_opts o = wide(P("big"), 1);
    EXPECT_ERROR(&o, P("big"), "row 1, column 3", "beyond float range");
}

static void empty_file(void **state)
{
    (void)state;
    write_text(P("empty"), "");
    kml_data_opts o = wide(P("empty"), 1);
    EXPECT_ERROR(&o, P("empty"), "empty file");
}

static void header_only(void **state)
{
    (void)state;
    write_text(P("hdronly"), "label,x0,x1\n");
    kml_data_opts o = wide(P("hdronly"), 1);
    EXPECT_ERROR(&o, P("hdronly"), "row 1 is a header but no data rows follow");
}

static void label_out_of_range(void **state)
{
    (void)state;
    write_text(P("neg"), "0,1,2\n1,3,4\n-1,5,6\n");
    kml_data_opts o = wide(P("neg"), 2);
    EXPECT_ERROR(&o, P("neg"), "row 3, column 1", "label -1 is out of range", "0..65535");
}

static void label_not_integer(void **state)
{
    (void)state;
    write_text(P("frac"), "0,1,2\n1,3,4\n1.5,5,6\n");
    kml_data_opts o = wide(P("frac"), 2);
    EXPECT_ERROR(&o, P("frac"), "row 3, column 1", "label '1.5' is not an integer");
}

static void label_word_among_integers(void **state)
{
    (void)state;
    write_text(P("word"), "0,1,2\nwalk,3,4\n1,5,6\n");
    kml_data_opts o = wide(P("word"), 2);
    EXPECT_ERROR(&o, P("word"), "row 2, column 1", "label 'walk' is not an integer", "like the other labels");
}

static void decimal_comma_hint(void **state)
{
    (void)state;
    write_text(P("deccomma"), "0;1,5;2\n");
    kml_data_opts o = wide(P("deccomma"), 2);
    EXPECT_ERROR(&o, P("deccomma"), "row 1, column 2", "'1,5' is not a number", "decimal commas");
}

static void tf_mismatch(void **state)
{
    (void)state;
    write_text(P("tf"), "label,a,b,c,d,e\n0,1,2,3,4,5\n");
    kml_data_opts o = wide(P("tf"), 2);
    EXPECT_ERROR(&o, P("tf"), "row 1 (header), columns 2..6", "5 value columns is not a multiple of --timesteps 2");
}

static void timesteps_required(void **state)
{
    (void)state;
    write_text(P("noT"), "0,1,2\n");
    kml_data_opts o = wide(P("noT"), 0);
    EXPECT_ERROR(&o, P("noT"), "--timesteps T is required");
}

static void empty_value_cell(void **state)
{
    (void)state;
    write_text(P("hole"), "0,1,2\n1,,4\n");
    kml_data_opts o = wide(P("hole"), 2);
    EXPECT_ERROR(&o, P("hole"), "row 2, column 2", "empty cell");
}

static void rows_are_line_numbers(void **state)
{
    /* blank lines still count: the row is the line an editor shows */
    (void)state;
    write_text(P("blank"), "0,1,2\n\n\n1,x,2\n");
    kml_data_opts o = wide(P("blank"), 2);
    EXPECT_ERROR(&o, P("blank"), "row 4, column 2", "'x' is not a number");
}

static void missing_file(void **state)
{
    (void)state;
    kml_data_opts o = wide(P("does_not_exist"), 2);
    EXPECT_ERROR(&o, P("does_not_exist"), "cannot open");
}

/* ---- good paths ---- */

static void wide_header_semicolon_crlf_quotes_bom(void **state)
{
    (void)state;
    const char text[] = "\xEF\xBB\xBF\"label\";\"t0_f0\";\"t0_f1\";\"t1_f0\";\"t1_f1\"\r\n"
                        "1;\" 0.5\";2;3;4\r\n"
                        "\"0\";5;6;7;-8e-1\r\n";
    write_text(P("fancy"), text);
    kml_data_opts o = wide(P("fancy"), 2);
    kml_data d;
    load_ok(&o, &d);
    /* 2 rows: the stratified hold-out keeps at least one member of each class in train */
    assert_int_equal(d.train.n + d.test.n, 2);
    assert_int_equal(d.train.T, 2);
    assert_int_equal(d.train.F, 2);
    assert_int_equal(d.C, 2);
    assert_null(d.class_names);
    assert_int_equal(d.train.n, 2); /* one per class: nothing can be held out */
    assert_int_equal(d.train.y[0], 1);
    assert_int_equal(d.train.y[1], 0);
    const float want[8] = {0.5f, 2, 3, 4, 5, 6, 7, -0.8f};
    for (int i = 0; i < 8; i++) assert_float_equal(d.train.X[i], want[i], 1e-7);
    kml_data_free(&d);
}

static void tab_delimited_with_quoted_comma_label(void **state)
{
    (void)state;
    write_text(P("tab"), "a,b\t1\t2\nc\t3\t4\na,b\t5\t6\n");
    kml_data_opts o = wide(P("tab"), 1);
    kml_data_opts_init(&o);
    o.path = P("tab");
    o.timesteps = 1;
    o.test_path = P("tab");
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.train.n, 3);
    assert_int_equal(d.train.F, 2);
    assert_int_equal(d.C, 2);
    assert_string_equal(d.class_names[0], "a,b");
    assert_string_equal(d.class_names[1], "c");
    assert_int_equal(d.train.y[1], 1);
    assert_float_equal(d.train.X[5], 6.0f, 0);
    kml_data_free(&d);
}

static void quoted_delimiter_in_field(void **state)
{
    (void)state;
    write_text(P("quoted"), "label,name,x\n\"walk, fast\",\"a;b\",1\nsit,x,2\n");
    kml_data_opts o = wide(P("quoted"), 1);
    o.skip_cols = "1";
    o.test_path = P("quoted");
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.train.n, 2);
    assert_int_equal(d.C, 2);
    assert_string_equal(d.class_names[0], "sit");
    assert_string_equal(d.class_names[1], "walk, fast");
    assert_int_equal(d.train.y[0], 1);
    kml_data_free(&d);
}

static void string_labels_sorted_to_ids(void **state)
{
    (void)state;
    write_text(P("names"), "walk,1\nsit,2\nrun,3\nsit,4\nwalk,5\n");
    write_text(P("names_test"), "lie,9\nrun,8\n");
    kml_data_opts o = wide(P("names"), 1);
    o.test_path = P("names_test");
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.C, 4); /* union of both files, sorted: lie, run, sit, walk */
    assert_string_equal(d.class_names[0], "lie");
    assert_string_equal(d.class_names[1], "run");
    assert_string_equal(d.class_names[2], "sit");
    assert_string_equal(d.class_names[3], "walk");
    const int32_t want[5] = {3, 2, 1, 2, 3};
    for (int i = 0; i < 5; i++) assert_int_equal(d.train.y[i], want[i]);
    assert_int_equal(d.test.n, 2);
    assert_int_equal(d.test.y[0], 0);
    assert_int_equal(d.test.y[1], 1);
    assert_int_equal(d.test_held_out, 0);
    kml_data_free(&d);
}

static void string_vs_integer_files(void **state)
{
    (void)state;
    write_text(P("kind_a"), "walk,1\nsit,2\n");
    write_text(P("kind_b"), "0,1\n1,2\n");
    kml_data_opts o = wide(P("kind_a"), 1);
    o.test_path = P("kind_b");
    EXPECT_ERROR(&o, P("kind_b"), "labels are integers but the training labels", "are names");
}

static void skip_and_group_columns(void **state)
{
    /* like the shared samples: label, subject, values */
    (void)state;
    write_text(P("group"), "label,subject,t0_f0,t1_f0\n1,7,1,2\n0,7,3,4\n1,9,5,6\n");
    kml_data_opts o = wide(P("group"), 2);
    o.group_col = 1;
    o.test_path = P("group");
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.train.n, 3);
    assert_int_equal(d.train.T, 2);
    assert_int_equal(d.train.F, 1);
    assert_non_null(d.train.group);
    assert_int_equal(d.train.group[0], 7);
    assert_int_equal(d.train.group[2], 9);
    assert_float_equal(d.train.X[4], 5.0f, 0);
    kml_data_free(&d);

    o.group_col = -1;
    o.skip_cols = "1";
    load_ok(&o, &d);
    assert_null(d.train.group);
    assert_int_equal(d.train.F, 1);
    assert_float_equal(d.train.X[0], 1.0f, 0);
    kml_data_free(&d);
}

static void label_column_elsewhere(void **state)
{
    (void)state;
    write_text(P("labcol"), "1,2,0\n3,4,1\n");
    kml_data_opts o = wide(P("labcol"), 2);
    o.label_col = 2;
    o.test_path = P("labcol");
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.train.y[0], 0);
    assert_int_equal(d.train.y[1], 1);
    assert_float_equal(d.train.X[2], 3.0f, 0);
    kml_data_free(&d);
}

static void integral_float_labels_accepted(void **state)
{
    (void)state;
    write_text(P("fl"), "2.0,1\n0,2\n");
    kml_data_opts o = wide(P("fl"), 1);
    o.test_path = P("fl");
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.C, 3);
    assert_int_equal(d.train.y[0], 2);
    kml_data_free(&d);
}

static void long_layout_variable_lengths(void **state)
{
    (void)state;
    /* rows out of order; series b has 2 steps of 3, so its last step is padding (0) */
    write_text(P("long"), "id,t,f0,f1,label\n"
                          "a,1,3,4,x\n"
                          "b,0,10,11,y\n"
                          "a,0,1,2,x\n"
                          "a,2,5,6,x\n"
                          "b,1,12,13,y\n");
    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = P("long");
    o.test_path = P("long");
    o.layout = KML_LAYOUT_LONG;
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.train.n, 2);
    assert_int_equal(d.train.T, 3);
    assert_int_equal(d.train.F, 2);
    assert_non_null(d.train.len);
    assert_int_equal(d.train.len[0], 3);
    assert_int_equal(d.train.len[1], 2);
    assert_string_equal(d.class_names[d.train.y[0]], "x");
    assert_string_equal(d.class_names[d.train.y[1]], "y");
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {10, 11, 12, 13, 0, 0};
    for (int i = 0; i < 6; i++) {
        assert_float_equal(d.train.X[i], a[i], 0);
        assert_float_equal(d.train.X[6 + i], b[i], 0);
    }
    kml_data_free(&d);
}

static void long_layout_full_lengths_drop_len(void **state)
{
    (void)state;
    write_text(P("long2"), "s1,0,1,0\ns1,1,2,0\ns2,0,3,1\ns2,1,4,1\n");
    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = P("long2");
    o.test_path = P("long2");
    o.layout = KML_LAYOUT_LONG;
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.train.n, 2);
    assert_int_equal(d.train.T, 2);
    assert_int_equal(d.train.F, 1);
    assert_null(d.train.len);
    assert_int_equal(d.train.y[1], 1);
    kml_data_free(&d);
}

static void long_layout_test_file_shorter(void **state)
{
    /* T comes from each file's longest series: the shorter file is padded to the longer T */
    (void)state;
    write_text(P("long_tr"), "a,0,1,0\na,1,2,0\na,2,3,0\nb,0,4,1\n");
    write_text(P("long_te"), "c,0,5,1\nc,1,6,1\n");
    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = P("long_tr");
    o.test_path = P("long_te");
    o.layout = KML_LAYOUT_LONG;
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.train.T, 3);
    assert_int_equal(d.test.T, 3);
    assert_non_null(d.test.len);
    assert_int_equal(d.test.len[0], 2);
    assert_float_equal(d.test.X[1], 6.0f, 0);
    assert_float_equal(d.test.X[2], 0.0f, 0);
    assert_int_equal(d.train.len[1], 1);
    kml_data_free(&d);
    /* and the other way round */
    o.path = P("long_te");
    o.test_path = P("long_tr");
    load_ok(&o, &d);
    assert_int_equal(d.train.T, 3);
    assert_int_equal(d.train.len[0], 2);
    kml_data_free(&d);
}

static void long_layout_gap(void **state)
{
    (void)state;
    write_text(P("gap"), "a,0,1,0\na,2,3,0\n");
    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = P("gap");
    o.layout = KML_LAYOUT_LONG;
    EXPECT_ERROR(&o, P("gap"), "row 1", "series 'a' has no row for step 1");
}

static void long_layout_duplicate_step(void **state)
{
    (void)state;
    write_text(P("dup"), "a,0,1,0\na,1,3,0\na,0,3,0\n");
    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = P("dup");
    o.layout = KML_LAYOUT_LONG;
    EXPECT_ERROR(&o, P("dup"), "row 3", "series 'a' has step 0 twice (also at row 1)");
}

static void long_layout_label_changes(void **state)
{
    (void)state;
    write_text(P("chg"), "a,0,1,0\na,1,3,1\n");
    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = P("chg");
    o.layout = KML_LAYOUT_LONG;
    EXPECT_ERROR(&o, P("chg"), "row 2, column 4", "label differs", "series 'a'");
}

static void long_layout_bad_time(void **state)
{
    (void)state;
    write_text(P("badt"), "a,0,1,0\na,x,3,0\n");
    kml_data_opts o;
    kml_data_opts_init(&o);
    o.path = P("badt");
    o.layout = KML_LAYOUT_LONG;
    EXPECT_ERROR(&o, P("badt"), "row 2, column 2", "time index 'x'");
}

static void held_out_split_is_seeded_and_stratified(void **state)
{
    (void)state;
    /* 50 series of class 0 and 30 of class 1; value = row number */
    FILE *f = fopen(P("many"), "wb");
    assert_non_null(f);
    for (int i = 0; i < 80; i++) fprintf(f, "%d,%d\n", i < 50 ? 0 : 1, i);
    fclose(f);
    kml_data_opts o = wide(P("many"), 1);
    kml_data a, b, c;
    load_ok(&o, &a);
    load_ok(&o, &b);
    o.seed = 99;
    load_ok(&o, &c);
    assert_int_equal(a.test_held_out, 1);
    assert_int_equal(a.test.n, 16); /* 20 % of 50 + 20 % of 30 */
    assert_int_equal(a.train.n, 64);
    int cnt[2];
    kml_dataset_class_counts(&a.test, 2, cnt);
    assert_int_equal(cnt[0], 10);
    assert_int_equal(cnt[1], 6);
    int same_as_b = 1, same_as_c = 1;
    for (int i = 0; i < a.test.n; i++) {
        same_as_b &= a.test.X[i] == b.test.X[i];
        same_as_c &= a.test.X[i] == c.test.X[i];
    }
    assert_true(same_as_b);
    assert_false(same_as_c);
    /* train and test partition the rows */
    int seen[80] = {0};
    for (int i = 0; i < a.train.n; i++) seen[(int)a.train.X[i]]++;
    for (int i = 0; i < a.test.n; i++) seen[(int)a.test.X[i]]++;
    for (int i = 0; i < 80; i++) assert_int_equal(seen[i], 1);
    kml_data_free(&a);
    kml_data_free(&b);
    kml_data_free(&c);
}

static void large_rows_stream_across_chunks(void **state)
{
    /* rows longer than the 64 KiB read chunk, so fields and rows straddle chunk borders */
    (void)state;
    const int T = 9000, n = 4;
    FILE *f = fopen(P("wide"), "wb");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "%d", i % 2);
        for (int t = 0; t < T; t++) fprintf(f, ",%d.25", i * T + t);
        fprintf(f, "\r\n");
    }
    fclose(f);
    kml_data_opts o = wide(P("wide"), T);
    o.test_path = P("wide");
    kml_data d;
    load_ok(&o, &d);
    assert_int_equal(d.train.n, n);
    assert_int_equal(d.train.F, 1);
    for (int i = 0; i < n * T; i++) assert_float_equal(d.train.X[i], (float)i + 0.25f, 0);
    kml_data_free(&d);
}

static void shared_samples(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int T, F;
    } s[] = {{"/har/sample_train_first50.csv", 128, 9},
             {"/dsa19/sample_train_first50.csv", 125, 45},
             {"/fsdd/sample_train_first50.csv", 99, 32}};
    char path[1024];
    snprintf(path, sizeof path, "%s%s", KML_SHARED_DATASETS, s[0].file);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        print_message("skipped: shared datasets not found at %s\n", KML_SHARED_DATASETS);
        skip();
    }
    fclose(probe);
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s%s", KML_SHARED_DATASETS, s[k].file);
        kml_data_opts o = wide(path, s[k].T);
        o.group_col = 1;
        kml_data d;
        load_ok(&o, &d);
        assert_int_equal(d.train.n + d.test.n, 50);
        assert_int_equal(d.train.F, s[k].F);
        assert_non_null(d.train.group);
        kml_data_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ragged_row_short),
        cmocka_unit_test(ragged_row_long),
        cmocka_unit_test(non_numeric_cell),
        cmocka_unit_test(nan_cell),
        cmocka_unit_test(inf_cell),
        cmocka_unit_test(overflowing_cell),
        cmocka_unit_test(empty_file),
        cmocka_unit_test(header_only),
        cmocka_unit_test(label_out_of_range),
        cmocka_unit_test(label_not_integer),
        cmocka_unit_test(label_word_among_integers),
        cmocka_unit_test(decimal_comma_hint),
        cmocka_unit_test(tf_mismatch),
        cmocka_unit_test(timesteps_required),
        cmocka_unit_test(empty_value_cell),
        cmocka_unit_test(rows_are_line_numbers),
        cmocka_unit_test(missing_file),
        cmocka_unit_test(wide_header_semicolon_crlf_quotes_bom),
        cmocka_unit_test(tab_delimited_with_quoted_comma_label),
        cmocka_unit_test(quoted_delimiter_in_field),
        cmocka_unit_test(string_labels_sorted_to_ids),
        cmocka_unit_test(string_vs_integer_files),
        cmocka_unit_test(skip_and_group_columns),
        cmocka_unit_test(label_column_elsewhere),
        cmocka_unit_test(integral_float_labels_accepted),
        cmocka_unit_test(long_layout_variable_lengths),
        cmocka_unit_test(long_layout_full_lengths_drop_len),
        cmocka_unit_test(long_layout_test_file_shorter),
        cmocka_unit_test(long_layout_gap),
        cmocka_unit_test(long_layout_duplicate_step),
        cmocka_unit_test(long_layout_label_changes),
        cmocka_unit_test(long_layout_bad_time),
        cmocka_unit_test(held_out_split_is_seeded_and_stratified),
        cmocka_unit_test(large_rows_stream_across_chunks),
        cmocka_unit_test(shared_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
