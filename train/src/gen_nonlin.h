/* gen_nonlin.h: generic body (REAL = float or double), included by cells_f32.c / cells_f64.c.
 * Elementwise nonlinearities and their derivatives, the derivative written from the OUTPUT y:
 *   tanh 1 − y²;  sigmoid y(1 − y);  relu [y > 0];  quantTanh [−1 < y < 1];  quantSigm ½[0 < y < 1];
 *   hardSigm ¼[0 < y < 1].
 * At the kinks of relu and the clip forms (x = 0, x = ±1, ±2) the derivative taken is 0. */

static inline REAL nl_sigm(REAL x) { return SIGM(x); }

KML_VEC_CLONES static void nl_vec(kml_nonlin nl, REAL *restrict v, size_t n)
{
    switch (nl) {
    case KML_NL_TANH:
        for (size_t i = 0; i < n; i++) v[i] = TANH(v[i]);
        break;
    case KML_NL_SIGMOID:
        for (size_t i = 0; i < n; i++) v[i] = nl_sigm(v[i]);
        break;
    case KML_NL_RELU:
        for (size_t i = 0; i < n; i++) v[i] = v[i] > 0 ? v[i] : (REAL)0;
        break;
    case KML_NL_QUANTTANH:
        for (size_t i = 0; i < n; i++) v[i] = v[i] < -1 ? (REAL)-1 : (v[i] > 1 ? (REAL)1 : v[i]);
        break;
    case KML_NL_QUANTSIGM:
        for (size_t i = 0; i < n; i++) {
            REAL y = (v[i] + 1) * (REAL)0.5;
            v[i] = y < 0 ? (REAL)0 : (y > 1 ? (REAL)1 : y);
        }
        break;
    case KML_NL_HARDSIGM:
        for (size_t i = 0; i < n; i++) {
            REAL y = v[i] * (REAL)0.25 + (REAL)0.5;
            v[i] = y < 0 ? (REAL)0 : (y > 1 ? (REAL)1 : y);
        }
        break;
    default: break;
    }
}

/* d[i] = f'(x_i) from y[i] = f(x_i), the switch outside the loops so that each vectorises. */
KML_VEC_CLONES static void nl_dvec(kml_nonlin nl, const REAL *restrict y, REAL *restrict d, size_t n)
{
    switch (nl) {
    case KML_NL_TANH:
        for (size_t i = 0; i < n; i++) d[i] = 1 - y[i] * y[i];
        break;
    case KML_NL_SIGMOID:
        for (size_t i = 0; i < n; i++) d[i] = y[i] * (1 - y[i]);
        break;
    case KML_NL_RELU:
        for (size_t i = 0; i < n; i++) d[i] = y[i] > 0 ? (REAL)1 : (REAL)0;
        break;
    case KML_NL_QUANTTANH:
        for (size_t i = 0; i < n; i++) d[i] = (y[i] > -1 && y[i] < 1) ? (REAL)1 : (REAL)0;
        break;
    case KML_NL_QUANTSIGM:
        for (size_t i = 0; i < n; i++) d[i] = (y[i] > 0 && y[i] < 1) ? (REAL)0.5 : (REAL)0;
        break;
    case KML_NL_HARDSIGM:
        for (size_t i = 0; i < n; i++) d[i] = (y[i] > 0 && y[i] < 1) ? (REAL)0.25 : (REAL)0;
        break;
    default:
        for (size_t i = 0; i < n; i++) d[i] = 0;
        break;
    }
}
