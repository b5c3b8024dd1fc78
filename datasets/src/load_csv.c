/* load_csv.c: one CSV file into a kml_dataset, streamed through libcsv (csv_parse over fread chunks; memory
 * grows with the data only).
 *
 * Layouts (columns are 0-based in options, 1-based in messages):
 *   wide: label, then T*F values time-major (t0_f0, t0_f1, ..., t1_f0, ...); --timesteps T is required.
 *   long: series id, time index, features..., label; one row per step. T = the largest time index + 1
 *         (or --timesteps); a series with fewer steps gets a valid length (padding after it is 0).
 * The label column defaults to the first (wide) or last (long) column; --skip-cols and --group-col take
 * columns out; in the long layout the first two remaining columns are the series id and the time index.
 * The delimiter is detected among comma, semicolon and tab from the first line; a UTF-8 BOM is skipped;
 * a first row whose value cells are all non-numeric is a header. Lines are counted in the raw bytes, so an
 * error's row is the 1-based line number an editor shows. */
#include "load_internal.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#define KML_CSV_CHUNK (64u << 10)

/* ---- small growable arrays ---- */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem) return -1;
        c *= 2;
    }
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* ---- string interning (labels, groups, series ids), ids in order of first appearance ---- */
typedef struct {
    char **names;
    long *first_line;   /* line where the name first appears */
    int n;
    size_t cap;
    int *slots;         /* open addressing: id + 1, 0 = empty */
    size_t nslots;
} strtab;

static unsigned long hash_str(const char *s)
{
    unsigned long h = 5381;
    while (*s) h = h * 33u ^ (unsigned char)*s++;
    return h;
}

static void strtab_free(strtab *t)
{
    for (int i = 0; i < t->n; i++) free(t->names[i]);
    free(t->names);
    free(t->first_line);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static int strtab_rehash(strtab *t, size_t nslots)
{
    int *s = calloc(nslots, sizeof *s);
    if (!s) return -1;
    for (int i = 0; i < t->n; i++) {
        size_t h = hash_str(t->names[i]) & (nslots - 1);
        while (s[h]) h = (h + 1) & (nslots - 1);
        s[h] = i + 1;
    }
    free(t->slots);
    t->slots = s;
    t->nslots = nslots;
    return 0;
}

/* Returns the id of s (added if new), or -1 when out of memory. */
static int strtab_intern(strtab *t, const char *s, long line)
{
    if ((size_t)(t->n + 1) * 2 > t->nslots && strtab_rehash(t, t->nslots ? t->nslots * 2 : 64)) return -1;
    size_t h = hash_str(s) & (t->nslots - 1);
    while (t->slots[h]) {
        int id = t->slots[h] - 1;
        if (!strcmp(t->names[id], s)) return id;
        h = (h + 1) & (t->nslots - 1);
    }
    if (t->n == INT_MAX - 1) return -1;
    size_t cap = t->cap;
    if (grow((void **)&t->names, &cap, (size_t)t->n + 1, sizeof *t->names)) return -1;
    cap = t->cap;
    if (grow((void **)&t->first_line, &cap, (size_t)t->n + 1, sizeof *t->first_line)) return -1;
    t->cap = cap;
    char *copy = malloc(strlen(s) + 1);
    if (!copy) return -1;
    strcpy(copy, s);
    t->names[t->n] = copy;
    t->first_line[t->n] = line;
    t->slots[h] = ++t->n;
    return t->n - 1;
}

/* ---- cell parsing ---- */
static const char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

/* 1 if s is a whole number (strtod accepts all of it, NaN and Inf included). */
static int is_number(const char *s, double *v)
{
    if (!*s) return 0;
    char *end = NULL;
    errno = 0;
    double x = strtod(s, &end);
    if (*end) return 0;
    if (v) *v = x;
    return 1;
}

/* 1 if s is an integer written as such (or an integral float like "3.0"). */
static int is_integer(const char *s, long long *v)
{
    double x;
    if (!is_number(s, &x) || !isfinite(x) || x != floor(x) || fabs(x) > 9e15) return 0;
    *v = (long long)x;
    return 1;
}

/* ---- the parser state ---- */
enum { ROLE_VALUE, ROLE_LABEL, ROLE_SKIP, ROLE_GROUP, ROLE_ID, ROLE_TIME };

typedef struct {
    const char *path;
    const kml_data_opts *o;
    kml_error *err;
    int failed;

    long line;        /* line of the bytes being parsed (1-based) */
    long row_line;    /* line where the current record started */
    int col;          /* fields seen so far in the current record */
    long records;     /* records completed (header included) */
    unsigned char delim;

    /* first record, buffered until the column roles and the header are known */
    char **first;
    int n_first;
    size_t cap_first;
    long first_line;

    int ncols;        /* columns of every record (0 until the first record ends) */
    int *role;
    int nvalues;      /* value columns per record */
    int has_header;

    /* data rows */
    float *vals;
    size_t n_vals, cap_vals;
    int32_t *lab, *grp, *sid, *tix;
    long *rline;      /* line of each data row */
    size_t n_rows, cap_lab, cap_grp, cap_sid, cap_tix, cap_rline;
    int cur_lab, cur_grp, cur_sid, cur_tix;
    strtab labels, groups, series;
    int label_col, group_col;
} csv_state;

static void fail(csv_state *st, const char *fmt, ...) KML_PRINTF(2, 3);
static void fail(csv_state *st, const char *fmt, ...)
{
    if (st->failed) return;
    st->failed = 1;
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kml_error_set(st->err, "%s: %s", st->path, msg);
}

static void oom(csv_state *st)
{
    fail(st, "out of memory at row %ld", st->row_line);
}

/* Quote a cell for a message on one line: control characters become \n, \r, \t or ?, long cells are cut. */
static const char *show(const char *s, char *buf, size_t n)
{
    size_t o = 0, limit = n - 6; /* room for the quotes, "..." and the terminator */
    buf[o++] = '\'';
    for (; *s && o < limit; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n' || c == '\r' || c == '\t') {
            buf[o++] = '\\';
            buf[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else {
            buf[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
        }
    }
    if (*s) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}

/* A data cell of column c (0-based) in a record whose roles are known. */
static void data_cell(csv_state *st, int c, char *raw)
{
    char sb[64];
    const char *s = trim(raw);
    switch (st->role[c]) {
    case ROLE_SKIP:
        return;
    case ROLE_VALUE: {
        double v;
        if (!*s) {
            fail(st, "row %ld, column %d: empty cell; expected a number", st->row_line, c + 1);
            return;
        }
        if (!is_number(s, &v)) {
            fail(st, "row %ld, column %d: %s is not a number; expected a numeric value%s", st->row_line, c + 1,
                 show(s, sb, sizeof sb),
                 strchr(s, ',') && st->delim != ',' ? " (decimal commas are not read: write 1.5, not 1,5)" : "");
            return;
        }
        if (isnan(v)) {
            fail(st, "row %ld, column %d: NaN is not allowed; expected a finite number", st->row_line, c + 1);
            return;
        }
        if (isinf(v) || fabs(v) > FLT_MAX) {
            fail(st, "row %ld, column %d: %s is Inf or beyond float range; expected a finite number",
                 st->row_line, c + 1, show(s, sb, sizeof sb));
            return;
        }
        if (grow((void **)&st->vals, &st->cap_vals, st->n_vals + 1, sizeof *st->vals)) {
            oom(st);
            return;
        }
        st->vals[st->n_vals++] = (float)v;
        return;
    }
    case ROLE_LABEL:
        if (!*s) {
            fail(st, "row %ld, column %d: empty label; expected a class id or name", st->row_line, c + 1);
            return;
        }
        if ((st->cur_lab = strtab_intern(&st->labels, s, st->row_line)) < 0) oom(st);
        return;
    case ROLE_GROUP:
        if (!*s) {
            fail(st, "row %ld, column %d: empty group cell; expected a group id or name", st->row_line, c + 1);
            return;
        }
        if ((st->cur_grp = strtab_intern(&st->groups, s, st->row_line)) < 0) oom(st);
        return;
    case ROLE_ID:
        if (!*s) {
            fail(st, "row %ld, column %d: empty series id", st->row_line, c + 1);
            return;
        }
        if ((st->cur_sid = strtab_intern(&st->series, s, st->row_line)) < 0) oom(st);
        return;
    case ROLE_TIME: {
        long long t;
        if (!is_integer(s, &t) || t < 0 || t >= (1 << 24)) {
            fail(st, "row %ld, column %d: time index %s; expected an integer step 0, 1, 2, ...", st->row_line,
                 c + 1, show(s, sb, sizeof sb));
            return;
        }
        st->cur_tix = (int)t;
        return;
    }
    }
}

static int push_i32(int32_t **a, size_t *cap, size_t n, int32_t v)
{
    if (grow((void **)a, cap, n + 1, sizeof **a)) return -1;
    (*a)[n] = v;
    return 0;
}

static void data_row_end(csv_state *st)
{
    size_t n = st->n_rows;
    int e = push_i32(&st->lab, &st->cap_lab, n, st->cur_lab);
    if (st->group_col >= 0) e |= push_i32(&st->grp, &st->cap_grp, n, st->cur_grp);
    if (st->o->layout == KML_LAYOUT_LONG) {
        e |= push_i32(&st->sid, &st->cap_sid, n, st->cur_sid);
        e |= push_i32(&st->tix, &st->cap_tix, n, st->cur_tix);
    }
    if (!e && grow((void **)&st->rline, &st->cap_rline, n + 1, sizeof *st->rline)) e = -1;
    if (e) {
        oom(st);
        return;
    }
    st->rline[n] = st->row_line;
    st->n_rows++;
    if (st->n_rows > INT_MAX / 2) fail(st, "row %ld: more than %d data rows", st->row_line, INT_MAX / 2);
}

/* Parse the column list of --skip-cols into role[]. */
static int mark_skips(csv_state *st)
{
    const char *p = st->o->skip_cols;
    while (p && *p) {
        char *end = NULL;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0) {
            fail(st, "--skip-cols '%s': expected 0-based column indices like '1,3'", st->o->skip_cols);
            return -1;
        }
        if (v >= st->ncols) {
            fail(st, "--skip-cols names column %ld (0-based) but row %ld has %d columns", v, st->first_line,
                 st->ncols);
            return -1;
        }
        if (st->role[v] == ROLE_LABEL || st->role[v] == ROLE_GROUP) {
            fail(st, "--skip-cols names column %ld, which is the %s column", v,
                 st->role[v] == ROLE_LABEL ? "label" : "group");
            return -1;
        }
        st->role[v] = ROLE_SKIP;
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}

/* The first record ended: fix column roles, decide whether it is a header, replay it if it is data. */
static void first_record_end(csv_state *st)
{
    const kml_data_opts *o = st->o;
    int nc = st->n_first;
    st->ncols = nc;
    st->role = calloc((size_t)nc, sizeof *st->role);
    if (!st->role) {
        oom(st);
        return;
    }
    int long_layout = o->layout == KML_LAYOUT_LONG;
    st->label_col = o->label_col >= 0 ? o->label_col : (long_layout ? nc - 1 : 0);
    st->group_col = o->group_col;
    if (st->label_col >= nc) {
        fail(st, "--label-col %d (0-based) but row %ld has only %d columns", st->label_col, st->first_line, nc);
        return;
    }
    if (st->group_col >= nc) {
        fail(st, "--group-col %d (0-based) but row %ld has only %d columns", st->group_col, st->first_line, nc);
        return;
    }
    if (st->group_col >= 0 && st->group_col == st->label_col) {
        fail(st, "--group-col %d is also the label column", st->group_col);
        return;
    }
    st->role[st->label_col] = ROLE_LABEL;
    if (st->group_col >= 0) st->role[st->group_col] = ROLE_GROUP;
    if (mark_skips(st)) return;
    int free_cols = 0;
    for (int c = 0; c < nc; c++) {
        if (st->role[c] != ROLE_VALUE) continue;
        if (long_layout && free_cols == 0) st->role[c] = ROLE_ID;
        else if (long_layout && free_cols == 1) st->role[c] = ROLE_TIME;
        free_cols++;
    }
    st->nvalues = long_layout ? free_cols - 2 : free_cols;
    if (st->nvalues < 1) {
        fail(st, "row %ld: %d columns leave no value column; expected %s", st->first_line, nc,
             long_layout ? "series id, time index, features..., label" : "label, then T x F values");
        return;
    }
    /* A header: every value cell is non-numeric (column names), and for long data the time cell too. */
    int header = 1;
    for (int c = 0; c < nc && header; c++)
        if ((st->role[c] == ROLE_VALUE || st->role[c] == ROLE_TIME) && is_number(trim(st->first[c]), NULL))
            header = 0;
    st->has_header = header;
    if (!long_layout) {
        if (o->timesteps <= 0) {
            fail(st, "--timesteps T is required for the wide layout (each row holds T x F values, time-major)");
            return;
        }
        if (st->nvalues % o->timesteps) {
            int c0 = -1, c1 = -1;
            for (int c = 0; c < nc; c++)
                if (st->role[c] == ROLE_VALUE) {
                    if (c0 < 0) c0 = c;
                    c1 = c;
                }
            fail(st, "row %ld%s, columns %d..%d: %d value columns is not a multiple of --timesteps %d (T x F "
                     "mismatch); expected T x F values per row (check --timesteps, --skip-cols, --label-col)",
                 st->first_line, header ? " (header)" : "", c0 + 1, c1 + 1, st->nvalues, o->timesteps);
            return;
        }
    }
    if (!header) {
        st->row_line = st->first_line;
        st->cur_grp = st->cur_sid = st->cur_tix = 0;
        for (int c = 0; c < nc && !st->failed; c++) data_cell(st, c, st->first[c]);
        if (!st->failed) data_row_end(st);
    }
}

/* libcsv callbacks */
static void on_field(void *s, size_t len, void *data)
{
    csv_state *st = data;
    if (st->failed) return;
    (void)len;
    char empty[1] = {0};
    char *cell = s ? (char *)s : empty;
    if (st->col == 0) st->row_line = st->line;
    int c = st->col++;
    if (st->records == 0) {
        if (c == 0) st->first_line = st->line;
        if (grow((void **)&st->first, &st->cap_first, (size_t)st->n_first + 1, sizeof *st->first)) {
            oom(st);
            return;
        }
        char *copy = malloc(strlen(cell) + 1);
        if (!copy) {
            oom(st);
            return;
        }
        strcpy(copy, cell);
        st->first[st->n_first++] = copy;
        return;
    }
    if (c >= st->ncols) {
        fail(st, "row %ld, column %d: ragged row, more than %d columns; expected %d columns as in row %ld",
             st->row_line, c + 1, st->ncols, st->ncols, st->first_line);
        return;
    }
    data_cell(st, c, cell);
}

static void on_row(int term, void *data)
{
    csv_state *st = data;
    (void)term;
    if (st->failed) return;
    if (st->col == 0) return; /* nothing in this record */
    if (st->records == 0) {
        first_record_end(st);
    } else if (st->col != st->ncols) {
        fail(st, "row %ld, column %d: ragged row with %d columns; expected %d columns as in row %ld",
             st->row_line, st->col + 1, st->col, st->ncols, st->first_line);
    } else {
        data_row_end(st);
    }
    st->records++;
    st->col = 0;
}

static int space_only(unsigned char c)
{
    return c == ' ';
}

/* The delimiter among ',', ';', '\t' that occurs most often outside quotes in the first line. */
static unsigned char detect_delim(const unsigned char *b, size_t n)
{
    size_t comma = 0, semi = 0, tab = 0;
    int quoted = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = b[i];
        if (ch == '"') quoted = !quoted;
        else if (!quoted && (ch == '\n' || ch == '\r')) break;
        else if (!quoted && ch == ',') comma++;
        else if (!quoted && ch == ';') semi++;
        else if (!quoted && ch == '\t') tab++;
    }
    if (semi > comma && semi >= tab) return ';';
    if (tab > comma && tab > semi) return '\t';
    return ',';
}

/* Feed one buffer to libcsv a line at a time, so st->line follows the raw bytes. */
static int feed(struct csv_parser *p, csv_state *st, const unsigned char *b, size_t n)
{
    while (n && !st->failed) {
        const unsigned char *nl = memchr(b, '\n', n);
        size_t seg = nl ? (size_t)(nl - b) + 1 : n;
        if (csv_parse(p, b, seg, on_field, on_row, st) != seg) {
            fail(st, "row %ld: CSV parser error: %s", st->line, csv_strerror(csv_error(p)));
            return -1;
        }
        if (nl) st->line++;
        b += seg;
        n -= seg;
    }
    return st->failed ? -1 : 0;
}

static void state_free(csv_state *st)
{
    for (int i = 0; i < st->n_first; i++) free(st->first[i]);
    free(st->first);
    free(st->role);
    free(st->vals);
    free(st->lab);
    free(st->grp);
    free(st->sid);
    free(st->tix);
    free(st->rline);
    strtab_free(&st->labels);
    strtab_free(&st->groups);
    strtab_free(&st->series);
}

/* ---- after parsing: labels, groups, and the layouts ---- */

/* Labels are integers when any of them looks like a number: then every one must be an integer in range.
 * Otherwise they are names. */
static int resolve_labels(csv_state *st, kml_raw_labels *out, int32_t *idmap)
{
    strtab *t = &st->labels;
    int any_number = 0;
    for (int i = 0; i < t->n && !any_number; i++) any_number = is_number(t->names[i], NULL);
    out->is_string = !any_number;
    if (!any_number) {
        out->n_names = t->n;
        out->names = t->names; /* ownership moves */
        t->names = NULL;
        for (int i = 0; i < t->n; i++) idmap[i] = i;
        t->n = 0;
        return 0;
    }
    char sb[64];
    int any_integer = 0;
    for (int i = 0; i < t->n && !any_integer; i++) {
        long long v;
        any_integer = is_integer(t->names[i], &v);
    }
    for (int i = 0; i < t->n; i++) {
        long long v;
        if (!is_integer(t->names[i], &v)) {
            fail(st, "row %ld, column %d: label %s is not an integer; expected an integer class id %s",
                 t->first_line[i], st->label_col + 1, show(t->names[i], sb, sizeof sb),
                 any_integer ? "like the other labels" : "(no label in this column is an integer: check --label-col)");
            return -1;
        }
        if (v < 0 || v >= KML_MAX_CLASSES) {
            fail(st, "row %ld, column %d: label %lld is out of range; expected a class id in 0..%d", t->first_line[i],
                 st->label_col + 1, v, KML_MAX_CLASSES - 1);
            return -1;
        }
        idmap[i] = (int32_t)v;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Group ids: the integers themselves when every group cell is an integer, else sorted-name order. */
static int resolve_groups(csv_state *st, int32_t *idmap)
{
    strtab *t = &st->groups;
    int all_int = 1;
    for (int i = 0; i < t->n && all_int; i++) {
        long long v;
        all_int = is_integer(t->names[i], &v) && v >= INT32_MIN && v <= INT32_MAX;
        if (all_int) idmap[i] = (int32_t)v;
    }
    if (all_int) return 0;
    char **sorted = malloc((size_t)(t->n ? t->n : 1) * sizeof *sorted);
    if (!sorted) return -1;
    memcpy(sorted, t->names, (size_t)t->n * sizeof *sorted);
    qsort(sorted, (size_t)t->n, sizeof *sorted, cmp_str);
    for (int i = 0; i < t->n; i++) {
        char **hit = bsearch(&t->names[i], sorted, (size_t)t->n, sizeof *sorted, cmp_str);
        idmap[i] = (int32_t)(hit - sorted);
    }
    free(sorted);
    return 0;
}

static int build_wide(csv_state *st, const int32_t *labmap, const int32_t *grpmap, kml_dataset *d)
{
    int n = (int)st->n_rows;
    d->n = n;
    d->T = st->o->timesteps;
    d->F = st->nvalues / d->T;
    d->X = st->vals; /* ownership moves: already [n][t][f] */
    st->vals = NULL;
    d->y = malloc((size_t)n * sizeof *d->y);
    if (st->group_col >= 0) d->group = malloc((size_t)n * sizeof *d->group);
    if (!d->y || (st->group_col >= 0 && !d->group)) return -1;
    for (int i = 0; i < n; i++) {
        d->y[i] = labmap[st->lab[i]];
        if (d->group) d->group[i] = grpmap[st->grp[i]];
    }
    return 0;
}

static int build_long(csv_state *st, const int32_t *labmap, const int32_t *grpmap, kml_dataset *d)
{
    int n = st->series.n, F = st->nvalues;
    size_t rows = st->n_rows;
    int T = 0;
    for (size_t r = 0; r < rows; r++)
        if (st->tix[r] + 1 > T) T = st->tix[r] + 1;
    if (st->o->timesteps > 0) {
        for (size_t r = 0; r < rows; r++)
            if (st->tix[r] >= st->o->timesteps) {
                fail(st, "row %ld: time index %d but --timesteps is %d; expected 0..%d", st->rline[r],
                     (int)st->tix[r], st->o->timesteps, st->o->timesteps - 1);
                return -1;
            }
        T = st->o->timesteps;
    }
    if ((size_t)n * (size_t)T > (size_t)INT_MAX || (size_t)n * (size_t)T * (size_t)F > SIZE_MAX / sizeof(float)) {
        fail(st, "%d series x %d steps x %d features is too large", n, T, F);
        return -1;
    }
    size_t cells = (size_t)n * (size_t)T;
    d->n = n;
    d->T = T;
    d->F = F;
    d->X = calloc(cells * (size_t)F, sizeof *d->X);
    d->y = malloc((size_t)n * sizeof *d->y);
    d->len = calloc((size_t)n, sizeof *d->len);
    int32_t *at = calloc(cells, sizeof *at);       /* data row + 1 that filled (series, step) */
    long *owner = malloc((size_t)n * sizeof *owner); /* first row of each series */
    if (st->group_col >= 0) d->group = malloc((size_t)n * sizeof *d->group);
    if (!d->X || !d->y || !d->len || !at || !owner || (st->group_col >= 0 && !d->group)) {
        free(at);
        free(owner);
        return -1;
    }
    int rc = 0;
    for (size_t r = 0; r < rows && rc == 0; r++) {
        int s = st->sid[r], t = st->tix[r];
        int32_t y = labmap[st->lab[r]];
        if (!d->len[s]) {
            owner[s] = st->rline[r];
            d->y[s] = y;
            if (d->group) d->group[s] = grpmap[st->grp[r]];
        } else if (d->y[s] != y) {
            fail(st, "row %ld, column %d: label differs from the one series '%s' got at row %ld; expected one label "
                     "per series",
                 st->rline[r], st->label_col + 1, st->series.names[s], owner[s]);
            rc = -1;
            break;
        } else if (d->group && d->group[s] != grpmap[st->grp[r]]) {
            fail(st, "row %ld, column %d: group differs from the one series '%s' got at row %ld; expected one group "
                     "per series",
                 st->rline[r], st->group_col + 1, st->series.names[s], owner[s]);
            rc = -1;
            break;
        }
        size_t cell = (size_t)s * (size_t)T + (size_t)t;
        if (at[cell]) {
            fail(st, "row %ld: series '%s' has step %d twice (also at row %ld); expected one row per step",
                 st->rline[r], st->series.names[s], t, st->rline[at[cell] - 1]);
            rc = -1;
            break;
        }
        at[cell] = (int32_t)r + 1;
        memcpy(d->X + cell * (size_t)F, st->vals + r * (size_t)F, (size_t)F * sizeof *d->X);
        if (t + 1 > d->len[s]) d->len[s] = t + 1;
    }
    int all_full = 1;
    for (int s = 0; s < n && rc == 0; s++) {
        for (int t = 0; t < d->len[s]; t++)
            if (!at[(size_t)s * (size_t)T + (size_t)t]) {
                fail(st, "row %ld: series '%s' has no row for step %d (its steps run to %d); expected steps 0..%d "
                         "without gaps",
                     owner[s], st->series.names[s], t, d->len[s] - 1, d->len[s] - 1);
                rc = -1;
                break;
            }
        if (d->len[s] != T) all_full = 0;
    }
    free(at);
    free(owner);
    if (rc == 0 && all_full) {
        free(d->len);
        d->len = NULL;
    }
    return rc;
}

int kml_csv_load(const char *path, const kml_data_opts *o, kml_dataset *d, kml_raw_labels *labels,
                 kml_error *err)
{
    memset(d, 0, sizeof *d);
    memset(labels, 0, sizeof *labels);
    FILE *fp = fopen(path, "rb");
    if (!fp) return kml_error_set(err, "%s: cannot open the file for reading", path);
    csv_state st;
    memset(&st, 0, sizeof st);
    st.path = path;
    st.o = o;
    st.err = err;
    st.line = 1;
    st.group_col = -1;
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        fclose(fp);
        return kml_error_set(err, "%s: cannot initialise the CSV parser", path);
    }
    unsigned char *buf = malloc(KML_CSV_CHUNK);
    if (!buf) {
        csv_free(&p);
        fclose(fp);
        return kml_error_set(err, "%s: out of memory", path);
    }
    int first = 1;
    size_t got;
    while (!st.failed && (got = fread(buf, 1, KML_CSV_CHUNK, fp)) > 0) {
        const unsigned char *b = buf;
        if (first) {
            first = 0;
            if (got >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
                b += 3;
                got -= 3;
            }
            unsigned char delim = st.delim = detect_delim(b, got);
            csv_set_delim(&p, delim);
            if (delim == '\t') csv_set_space_func(&p, space_only);
        }
        feed(&p, &st, b, got);
    }
    if (!st.failed && ferror(fp)) fail(&st, "read error (is it a directory or an unreadable file?)");
    if (!st.failed) {
        csv_fini(&p, on_field, on_row, &st);
        if (!st.failed && st.col) on_row(-1, &st);
    }
    csv_free(&p);
    free(buf);
    fclose(fp);

    if (!st.failed && st.records == 0) fail(&st, "empty file: no rows; expected a CSV table of labelled series");
    if (!st.failed && st.n_rows == 0)
        fail(&st, "row %ld is a header but no data rows follow; expected at least one series", st.first_line);
    int32_t *labmap = NULL, *grpmap = NULL;
    if (!st.failed) {
        labmap = malloc((size_t)(st.labels.n ? st.labels.n : 1) * sizeof *labmap);
        grpmap = malloc((size_t)(st.groups.n ? st.groups.n : 1) * sizeof *grpmap);
        if (!labmap || !grpmap) fail(&st, "out of memory");
    }
    if (!st.failed) resolve_labels(&st, labels, labmap); /* sets the message on failure */
    if (!st.failed && st.group_col >= 0 && resolve_groups(&st, grpmap)) fail(&st, "out of memory");
    if (!st.failed) {
        int rc = o->layout == KML_LAYOUT_LONG ? build_long(&st, labmap, grpmap, d) : build_wide(&st, labmap, grpmap, d);
        if (rc && !st.failed) fail(&st, "out of memory building %zu rows", st.n_rows);
    }
    free(labmap);
    free(grpmap);
    state_free(&st);
    if (st.failed) {
        kml_dataset_free(d);
        kml_raw_labels_free(labels);
        return -1;
    }
    return 0;
}
