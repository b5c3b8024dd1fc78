/* bench/svgplot.c: scatter plots as a standalone SVG, for the paper tables (bench/paper).
 *
 *   svgplot OUT.svg < commands
 *
 * Commands, one a line, fields separated by TABs (blank lines and '#' lines ignored):
 *   title  TEXT                   the figure title
 *   xlabel TEXT / ylabel TEXT     axis labels (every panel)
 *   logx / logy                   logarithmic x / y axis (decade ticks)
 *   panel  NAME                   start a new panel (panels are laid out in rows of up to 3)
 *   point  SERIES X Y [LABEL]     one point of SERIES in the current panel; LABEL is written beside it
 * Series are styled by order of first appearance (filled circle, hollow square, triangle, ...),
 * and a legend is drawn once. Points whose X or Y is not a finite number (or <= 0 on a log axis)
 * are skipped and counted on stderr. The file is written to OUT.svg.tmp, then renamed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_PANELS = 16, MAX_POINTS = 512, MAX_SERIES = 8, TXT = 128, COLS = 3 };
enum { PW = 360, PH = 270, ML = 58, MR = 14, MT = 30, MB = 46, TOP = 40, LEGEND = 26 };

typedef struct {
    int panel, series;
    double x, y;
    char label[TXT];
} point;

typedef struct {
    char title[TXT], xlabel[TXT], ylabel[TXT];
    int logx, logy;
    char panel[MAX_PANELS][TXT];
    int npanels;
    char series[MAX_SERIES][TXT];
    int nseries;
    point pts[MAX_POINTS];
    int npts, skipped;
} plot;

static const char *colour[MAX_SERIES] = {"#1f6fb4", "#d9631e", "#2a9d3a", "#9b3fb5",
                                         "#b8860b", "#c0392b", "#555555", "#17a2b8"};

/* XML-escape s into f. */
static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void copy_field(char *dst, const char *src)
{
    snprintf(dst, TXT, "%s", src ? src : "");
}

static int series_index(plot *p, const char *name)
{
    for (int i = 0; i < p->nseries; i++)
        if (!strcmp(p->series[i], name)) return i;
    if (p->nseries == MAX_SERIES) return -1;
    copy_field(p->series[p->nseries], name);
    return p->nseries++;
}

/* Split line at TABs into at most n fields (in place). Returns the number of fields. */
static int split(char *line, char **field, int n)
{
    int k = 0;
    char *s = line;
    while (k < n) {
        field[k++] = s;
        char *t = strchr(s, '\t');
        if (!t) break;
        *t = 0;
        s = t + 1;
    }
    return k;
}

static int parse_number(const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return end != s && *end == 0 && isfinite(*v);
}

static int read_plot(FILE *in, plot *p)
{
    char line[1024];
    int lineno = 0;
    while (fgets(line, sizeof line, in)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        char *f[5] = {0};
        int n = split(line, f, 5);
        if (!strcmp(f[0], "title") && n >= 2) copy_field(p->title, f[1]);
        else if (!strcmp(f[0], "xlabel") && n >= 2) copy_field(p->xlabel, f[1]);
        else if (!strcmp(f[0], "ylabel") && n >= 2) copy_field(p->ylabel, f[1]);
        else if (!strcmp(f[0], "logx")) p->logx = 1;
        else if (!strcmp(f[0], "logy")) p->logy = 1;
        else if (!strcmp(f[0], "panel") && n >= 2) {
            if (p->npanels == MAX_PANELS) {
                fprintf(stderr, "svgplot: line %d: more than %d panels\n", lineno, MAX_PANELS);
                return -1;
            }
            copy_field(p->panel[p->npanels++], f[1]);
        } else if (!strcmp(f[0], "point") && n >= 4) {
            if (!p->npanels) copy_field(p->panel[p->npanels++], "");
            double x, y;
            if (!parse_number(f[2], &x) || !parse_number(f[3], &y) || (p->logx && x <= 0) || (p->logy && y <= 0)) {
                p->skipped++;
                continue;
            }
            int s = series_index(p, f[1]);
            if (s < 0 || p->npts == MAX_POINTS) {
                fprintf(stderr, "svgplot: line %d: too many series or points\n", lineno);
                return -1;
            }
            point *q = &p->pts[p->npts++];
            q->panel = p->npanels - 1;
            q->series = s;
            q->x = x;
            q->y = y;
            copy_field(q->label, n >= 5 ? f[4] : "");
        } else {
            fprintf(stderr, "svgplot: line %d: cannot read '%s'\n", lineno, f[0]);
            return -1;
        }
    }
    return 0;
}

/* A "nice" step (1, 2 or 5 times a power of ten) giving about n ticks over span. */
static double nice_step(double span, int n)
{
    double raw = span / n, mag = pow(10, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

static void marker(FILE *f, int s, double x, double y)
{
    const char *c = colour[s % MAX_SERIES];
    switch (s % 4) {
    case 0: fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\"/>\n", x, y, c); break;
    case 1:
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\" fill=\"none\" stroke=\"%s\" "
                   "stroke-width=\"2\"/>\n", x - 4.5, y - 4.5, c);
        break;
    case 2:
        fprintf(f, "<path d=\"M%.1f %.1fl5 9h-10z\" fill=\"%s\"/>\n", x, y - 5.5, c);
        break;
    default:
        fprintf(f, "<path d=\"M%.1f %.1fl5 5l-5 5l-5 -5z\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                x, y - 5, c);
    }
}

/* Pad a data range [*lo, *hi] (already log10 on a log axis): a quarter decade (log) or some percent
 * (linear) on each side. */
static void pad_range(int log, double *lo, double *hi, double pct)
{
    if (log) {
        *lo = floor((*lo - 0.25) * 4) / 4, *hi = ceil((*hi + 0.25) * 4) / 4;
    } else {
        double d = *hi > *lo ? (*hi - *lo) * pct : fmax(fabs(*lo) * 0.1, 1);
        *lo -= d, *hi += d;
    }
}

/* Grid lines and tick labels of one axis over [lo, hi] (log10 units on a log axis). pos maps a value
 * to the pixel along the axis; vertical = the y axis. */
static void draw_ticks(FILE *f, int log, double lo, double hi, int vertical, double origin, double length,
                       double other0, double other1)
{
#define POS(v) (vertical ? origin + length - ((v) - lo) / (hi - lo) * length : origin + ((v) - lo) / (hi - lo) * length)
#define LINE(P, colr)                                                                                             \
    (vertical ? fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"%s\"/>\n", other0, P, other1, \
                        P, colr)                                                                                   \
              : fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"%s\"/>\n", P, other0, P, \
                        other1, colr))
#define LABEL(P, v)                                                                                               \
    (vertical ? fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", other0 - 4, P + 3, v)        \
              : fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%g</text>\n", P, other1 + 14, v))
    if (log) {
        for (int e = (int)floor(lo); e <= (int)ceil(hi); e++)
            for (int m = 1; m < 10; m++) {
                double v = e + log10(m);
                if (v < lo || v > hi) continue;
                LINE(POS(v), m == 1 ? "#ccc" : "#eee");
                if (m == 1 || ((m == 2 || m == 5) && hi - lo < 2.5)) LABEL(POS(v), m * pow(10, e));
            }
    } else {
        double st = nice_step(hi - lo, 5);
        for (double v = ceil(lo / st) * st; v <= hi; v += st) {
            if (fabs(v) < st * 1e-6) v = 0; /* no "-0" from rounding */
            LINE(POS(v), "#eee");
            LABEL(POS(v), v);
        }
    }
#undef POS
#undef LINE
#undef LABEL
}

static void draw_panel(FILE *f, const plot *p, int k, double ox, double oy)
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int i = 0; i < p->npts; i++) {
        const point *q = &p->pts[i];
        if (q->panel != k) continue;
        double x = p->logx ? log10(q->x) : q->x, y = p->logy ? log10(q->y) : q->y;
        xmin = fmin(xmin, x), xmax = fmax(xmax, x), ymin = fmin(ymin, y), ymax = fmax(ymax, y);
    }
    double w = PW - ML - MR, h = PH - MT - MB;
    fprintf(f, "<g transform=\"translate(%.0f,%.0f)\">\n", ox, oy);
    fprintf(f, "<text x=\"%d\" y=\"18\" font-size=\"13\" font-weight=\"bold\">", ML);
    esc(f, p->panel[k]);
    fputs("</text>\n", f);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>\n", ML, MT,
            w, h);
    if (!isfinite(xmin)) {
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" text-anchor=\"middle\" fill=\"#888\">"
                   "no figures yet</text>\n</g>\n", ML + w / 2, MT + h / 2);
        return;
    }
    pad_range(p->logx, &xmin, &xmax, 0.08);
    pad_range(p->logy, &ymin, &ymax, 0.1);
#define SX(v) (ML + ((v) - xmin) / (xmax - xmin) * w)
#define SY(v) (MT + h - ((v) - ymin) / (ymax - ymin) * h)
    fputs("<g font-size=\"10\" fill=\"#333\">\n", f);
    draw_ticks(f, p->logx, xmin, xmax, 0, ML, w, MT, MT + h);
    draw_ticks(f, p->logy, ymin, ymax, 1, MT, h, ML, ML + w);
    fputs("</g>\n", f);
    fprintf(f, "<text x=\"%.0f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">", ML + w / 2, PH - 8);
    esc(f, p->xlabel);
    fprintf(f, "</text>\n<text transform=\"translate(14,%.0f) rotate(-90)\" font-size=\"11\" "
               "text-anchor=\"middle\">", MT + h / 2);
    esc(f, p->ylabel);
    fputs("</text>\n", f);
    for (int i = 0; i < p->npts; i++) {
        const point *q = &p->pts[i];
        if (q->panel != k) continue;
        double X = SX(p->logx ? log10(q->x) : q->x), Y = SY(p->logy ? log10(q->y) : q->y);
        marker(f, q->series, X, Y);
        if (q->label[0]) {
            int right = X > ML + w * 0.7;
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"%s\" text-anchor=\"%s\">",
                    right ? X - 7 : X + 7, Y - 5, colour[q->series % MAX_SERIES], right ? "end" : "start");
            esc(f, q->label);
            fputs("</text>\n", f);
        }
    }
#undef SX
#undef SY
    fputs("</g>\n", f);
}

static int write_svg(const plot *p, const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -1;
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    int n = p->npanels ? p->npanels : 1, cols = n < COLS ? n : COLS, rows = (n + COLS - 1) / COLS;
    int W = cols * PW, H = TOP + LEGEND + rows * PH;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"Helvetica, Arial, sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" "
               "fill=\"white\"/>\n<text x=\"%d\" y=\"24\" font-size=\"15\" font-weight=\"bold\">",
            W, H, W, H, ML);
    esc(f, p->title);
    fputs("</text>\n", f);
    for (int s = 0; s < p->nseries; s++) {
        double x = ML + s * 150.0;
        marker(f, s, x, TOP + 8);
        fprintf(f, "<text x=\"%.0f\" y=\"%d\" font-size=\"11\">", x + 10, TOP + 12);
        esc(f, p->series[s]);
        fputs("</text>\n", f);
    }
    for (int k = 0; k < n; k++) draw_panel(f, p, k, (k % COLS) * PW, TOP + LEGEND + (k / COLS) * PH);
    fputs("</svg>\n", f);
    if (fclose(f) || rename(tmp, path)) {
        remove(tmp);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: svgplot OUT.svg < commands   (see the header of bench/svgplot.c)\n");
        return 2;
    }
    static plot p;
    if (read_plot(stdin, &p)) return 1;
    if (p.skipped) fprintf(stderr, "svgplot: %d point(s) without a plottable figure skipped\n", p.skipped);
    if (write_svg(&p, argv[1])) {
        fprintf(stderr, "svgplot: cannot write '%s'\n", argv[1]);
        return 1;
    }
    return 0;
}
