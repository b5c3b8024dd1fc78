/* kiloml/model_file.h: the .kml model file (HDF5, readable by h5py and h5dump).
 *
 * Layout (format_version 1):
 *   /                     attributes: kiloml_format = "kml", format_version = 1,
 *                         cell, gate_nonlin, update_nonlin (strings), D, H, C, rank_w, rank_u (int),
 *                         norm_mode ("none" | "per-feature" | "per-step"),
 *                         training summary: epochs, best_epoch, val_accuracy, test_accuracy, seed,
 *                         steps, skipped_steps, lr, batch, optimizer, clip, density_w, density_u,
 *                         n_fit, n_val, n_test
 *   /<param>              float32 [rows][cols] for every tensor the configuration uses, named as in
 *                         model.h's table (W, W1, W2, U, U1, U2, b, b_g, b_h, b_u, alpha, beta, zeta,
 *                         nu, V, v)
 *   /norm_mean, /norm_std float32 [F] (per feature) or [T][F] (per step), when normalised
 *   /class_names          variable-length strings [C], when the labels had names
 *   /quant                reserved for the quantizer's integer arrays (written via `extra`)
 * Files carry no time stamps: the same model gives the same bytes.
 *
 *   if (kml_model_file_write("m.kml", &m, &summary, NULL, NULL, &err)) ...
 *   kml_model m; kml_train_summary s;
 *   if (kml_model_file_read("m.kml", &m, &s, &err)) ...      (s may be NULL)
 */
#ifndef KILOML_MODEL_FILE_H
#define KILOML_MODEL_FILE_H

#include <hdf5.h>

#include "kiloml/error.h"
#include "kiloml/model.h"
#include "kiloml/trainer.h"

#define KML_FORMAT_NAME "kml"
#define KML_FORMAT_VERSION 1

/* Hook to add more objects (e.g. the /quant group) to the file being written, before it is
 * closed and renamed into place. Returns 0 or -1 (err filled). */
typedef int (*kml_model_file_extra_fn)(hid_t file, void *ctx, kml_error *err);

/* Write atomically (a temporary in the same folder, then rename). summary may be NULL. */
int kml_model_file_write(const char *path, const kml_model *m, const kml_train_summary *summary,
                         kml_model_file_extra_fn extra, void *extra_ctx, kml_error *err);

/* Read a model (and its summary, if wanted). Rejects files it cannot read with a message naming
 * the file and what is wrong (not HDF5, not a kiloml model, unsupported version, missing or
 * misshapen parameter). On failure *m is left zeroed (nothing to free). */
int kml_model_file_read(const char *path, kml_model *m, kml_train_summary *summary, kml_error *err);

#endif
