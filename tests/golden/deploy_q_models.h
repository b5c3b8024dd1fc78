/* deploy_q_models.h: the golden integer models of deploy_q_golden.h as kml_rnn_q descriptors
 * (shared by test_deploy_q.c and the header generator test). Include after kiloml/deploy.h. */
#ifndef KML_TEST_DEPLOY_Q_MODELS_H
#define KML_TEST_DEPLOY_Q_MODELS_H

#include <string.h>
#include "deploy_q_golden.h"

#define DENSE8(R, K, Q, w) {R, K, KML_MAT_DENSE, 8, Q, 0, w, NULL, NULL, NULL, NULL, NULL}
#define DENSE16(R, K, Q, w) {R, K, KML_MAT_DENSE, 16, Q, 0, NULL, w, NULL, NULL, NULL, NULL}
#define SPARSE8(R, K, Q, NNZ, w, ptr, idx) {R, K, KML_MAT_SPARSE, 8, Q, NNZ, w, NULL, ptr, idx, NULL, NULL}
#define SPARSE16(R, K, Q, NNZ, w, ptr, idx) {R, K, KML_MAT_SPARSE, 16, Q, NNZ, NULL, w, ptr, idx, NULL, NULL}

static inline kml_rnn_q model_ga(void)
{
    kml_rnn_q m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = KML_RNN_FASTGRNN;
    m.gate_nl = KML_ACT_QUANTSIGM;
    m.update_nl = KML_ACT_QUANTTANH;
    m.D = 6, m.H = 10, m.C = 3;
    m.q_x = 11, m.q_h = 13, m.q_a = 12, m.q_g = 14;
    m.W.rank = 3;
    m.W.q_mid = 11;
    m.W.a = (kml_mat_q)DENSE8(6, 3, 6, ga_W_a_w);
    m.W.b = (kml_mat_q)SPARSE16(3, 10, 12, GA_W_B_NNZ, ga_W_b_w, ga_W_b_ptr, ga_W_b_idx);
    m.U.a = (kml_mat_q)SPARSE16(10, 10, 13, GA_U_A_NNZ, ga_U_a_w, ga_U_a_ptr, ga_U_a_idx);
    m.b_h = ga_bh, m.b_g = ga_bg;
    m.s_zeta = 13000, m.s_nu = 700;
    m.V = (kml_mat_q)DENSE8(10, 3, 0, ga_V_w);
    m.v = ga_v;
    m.norm_m = ga_nm, m.norm_s = ga_ns, m.norm_shift = 12;
    return m;
}

static inline kml_rnn_q model_ra(void)
{
    kml_rnn_q m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = KML_RNN_FASTRNN;
    m.gate_nl = KML_ACT_QUANTSIGM;
    m.update_nl = KML_ACT_QUANTTANH;
    m.D = 5, m.H = 8, m.C = 4;
    m.q_x = 10, m.q_h = 12, m.q_a = 11, m.q_g = 13;
    m.W.a = (kml_mat_q)DENSE8(5, 8, 7, ra_W_a_w);
    m.U.rank = 2;
    m.U.q_mid = 12;
    m.U.a = (kml_mat_q)SPARSE8(8, 2, 7, RA_U_A_NNZ, ra_U_a_w, ra_U_a_ptr, ra_U_a_idx);
    m.U.b = (kml_mat_q)DENSE8(2, 8, 7, ra_U_b_w);
    m.b_h = ra_bh;
    m.s_alpha = 600, m.s_beta = 7800;
    m.V = (kml_mat_q)DENSE8(8, 4, 0, ra_V_w);
    m.v = ra_v;
    return m;
}

static inline kml_rnn_q model_gt(void)
{
    kml_rnn_q m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = KML_RNN_FASTGRNN;
    m.gate_nl = KML_ACT_QUANTTANH;
    m.update_nl = KML_ACT_QUANTTANH;
    m.D = 4, m.H = 6, m.C = 2;
    m.q_x = 12, m.q_h = 12, m.q_a = 10, m.q_g = 13;
    m.W.a = (kml_mat_q)SPARSE8(4, 6, 9, GT_W_A_NNZ, gt_W_a_w, gt_W_a_ptr, gt_W_a_idx);
    m.U.a = (kml_mat_q)DENSE8(6, 6, 9, gt_U_a_w);
    m.b_h = gt_bh, m.b_g = gt_bg;
    m.s_zeta = 8000, m.s_nu = 300;
    m.V = (kml_mat_q)DENSE8(6, 2, 0, gt_V_w);
    m.v = gt_v;
    return m;
}

static inline kml_rnn_q model_gh(void)
{
    kml_rnn_q m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = KML_RNN_FASTGRNN;
    m.gate_nl = KML_ACT_HARDSIGM;
    m.update_nl = KML_ACT_QUANTTANH;
    m.D = 5, m.H = 8, m.C = 3;
    m.q_x = 11, m.q_h = 12, m.q_a = 12, m.q_g = 13;
    m.W.rank = 3, m.W.q_mid = 11;
    m.W.a = (kml_mat_q)SPARSE8(5, 3, 8, GH_W_A_NNZ, gh_W_a_w, gh_W_a_ptr, gh_W_a_idx);
    m.W.b = (kml_mat_q)SPARSE8(3, 8, 8, GH_W_B_NNZ, gh_W_b_w, gh_W_b_ptr, gh_W_b_idx);
    m.U.rank = 4, m.U.q_mid = 12;
    m.U.a = (kml_mat_q)SPARSE8(8, 4, 8, GH_U_A_NNZ, gh_U_a_w, gh_U_a_ptr, gh_U_a_idx);
    m.U.b = (kml_mat_q)SPARSE8(4, 8, 8, GH_U_B_NNZ, gh_U_b_w, gh_U_b_ptr, gh_U_b_idx);
    m.b_h = gh_bh, m.b_g = gh_bg;
    m.s_zeta = 6000, m.s_nu = 500;
    m.V = (kml_mat_q)DENSE8(8, 3, 0, gh_V_w);
    m.v = gh_v;
    m.norm_m = gh_nm, m.norm_s = gh_ns, m.norm_shift = 12;
    return m;
}

static inline kml_rnn_q model_rh(void)
{
    kml_rnn_q m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = KML_RNN_FASTRNN;
    m.gate_nl = KML_ACT_QUANTSIGM;
    m.update_nl = KML_ACT_HARDSIGM;
    m.D = 4, m.H = 6, m.C = 2;
    m.q_x = 12, m.q_h = 12, m.q_a = 10, m.q_g = 13;
    m.W.a = (kml_mat_q)DENSE8(4, 6, 9, rh_W_a_w);
    m.U.a = (kml_mat_q)SPARSE8(6, 6, 9, RH_U_A_NNZ, rh_U_a_w, rh_U_a_ptr, rh_U_a_idx);
    m.b_h = rh_bh;
    m.s_alpha = 5000, m.s_beta = 6000;
    m.V = (kml_mat_q)DENSE8(6, 2, 0, rh_V_w);
    m.v = rh_v;
    return m;
}

static inline kml_rnn_q model_gs(void)
{
    kml_rnn_q m = model_gh(); /* the same shape; its own arrays and the smooth forms */
    m.gate_nl = KML_ACT_SIGMOID;
    m.update_nl = KML_ACT_TANH;
    m.W.a = (kml_mat_q)SPARSE8(5, 3, 8, GS_W_A_NNZ, gs_W_a_w, gs_W_a_ptr, gs_W_a_idx);
    m.W.b = (kml_mat_q)SPARSE8(3, 8, 8, GS_W_B_NNZ, gs_W_b_w, gs_W_b_ptr, gs_W_b_idx);
    m.U.a = (kml_mat_q)SPARSE8(8, 4, 8, GS_U_A_NNZ, gs_U_a_w, gs_U_a_ptr, gs_U_a_idx);
    m.U.b = (kml_mat_q)SPARSE8(4, 8, 8, GS_U_B_NNZ, gs_U_b_w, gs_U_b_ptr, gs_U_b_idx);
    m.b_h = gs_bh, m.b_g = gs_bg;
    m.s_zeta = 7000, m.s_nu = 400;
    m.V = (kml_mat_q)DENSE8(8, 3, 0, gs_V_w);
    m.v = gs_v;
    m.norm_m = gs_nm, m.norm_s = gs_ns;
    return m;
}

static inline kml_rnn_q model_rs(void)
{
    kml_rnn_q m;
    memset(&m, 0, sizeof m);
    m.version = KML_DEPLOY_FORMAT_VERSION;
    m.cell = KML_RNN_FASTRNN;
    m.gate_nl = KML_ACT_QUANTSIGM;
    m.update_nl = KML_ACT_TANH;
    m.D = 4, m.H = 6, m.C = 2;
    m.q_x = 12, m.q_h = 12, m.q_a = 20, m.q_g = 14;
    m.W.a = (kml_mat_q)DENSE16(4, 6, 10, rs_W_a_w);
    m.U.a = (kml_mat_q)SPARSE16(6, 6, 10, RS_U_A_NNZ, rs_U_a_w, rs_U_a_ptr, rs_U_a_idx);
    m.b_h = rs_bh;
    m.s_alpha = 5000, m.s_beta = 6000;
    m.V = (kml_mat_q)DENSE8(6, 2, 0, rs_V_w);
    m.v = rs_v;
    return m;
}

#endif
