/* kiloml/qmodel_file.h: the integer model in the .kml file, group /quant (HDF5).
 *
 * Layout (quant_format 1), beside the float model that export/'s model_file.c writes:
 *   /quant                attributes: quant_format = 1, deploy_format = KML_DEPLOY_FORMAT_VERSION,
 *                         cell ("fastrnn" | "fastgrnn"), gate_nl / update_nl ("quantsigm" / "quanttanh"),
 *                         D, H, C, rank_w, rank_u, q_in, q_x, q_h, q_a, q_g, q_mid_w, q_mid_u,
 *                         norm_shift, s_alpha, s_beta, s_zeta, s_nu (int16 constants in Q q_g),
 *                         sparse_format ("auto" | "csc" | "bitmap": the option the model was built
 *                         with; optional, absent in older files = auto)
 *   /quant/<slot>         one group per matrix (W or W1, W2, U or U1, U2, V); attributes rows, cols,
 *                         layout ("dense" | "sparse" (CSC) | "bitmap"), bits (8 | 16), q, nnz; datasets
 *                         values (int8 / int16: dense cols×rows output-major, sparse / bitmap nnz values),
 *                         colptr (uint16, cols + 1) and idx (uint8 when rows <= 256, else uint16), sparse only;
 *                         bitmap (uint8, cols × ceil(rows / 8), kml_mat.h's bit order), bitmap only.
 *                         "bitmap" came later within quant_format 1: older files never use it and read
 *                         as before; a reader that predates it rejects it as an unknown layout, and
 *                         this one rejects any other name the same way.
 *   /quant/b_h, /quant/b_g   int16 [H] in Q q_a (b_g FastGRNN only)
 *   /quant/v              int32 [C] in Q (q_h + V.q)
 *   /quant/norm_m, /quant/norm_s   int16 [D] (when the model normalises its input)
 * Layouts are deploy/'s (kml_mat.h), so an exporter copies the arrays as they are.
 *
 *   kml_model_file_write(path, &model, &summary, kml_qmodel_file_extra, &qm, &err);   // write
 *   kml_qmodel_read(path, &qm, &err);                                                 // read back
 */
#ifndef KILOML_QMODEL_FILE_H
#define KILOML_QMODEL_FILE_H

#include <hdf5.h>

#include "kiloml/error.h"
#include "kiloml/qmodel.h"

#define KML_QUANT_FORMAT_VERSION 1

/* Write /quant into an open file (signature of kml_model_file_extra_fn; ctx is a const kml_qmodel *). */
int kml_qmodel_file_extra(hid_t file, void *ctx, kml_error *err);

/* 1 when the file holds a /quant group, 0 when not, -1 when it cannot be opened. */
int kml_qmodel_file_has(const char *path);

/* Read /quant; the result validates (kml_rnn_validate_q) or the call fails naming the cause.
 * On failure *qm is zeroed. */
int kml_qmodel_read(const char *path, kml_qmodel *qm, kml_error *err);

#endif
