/* input_noise.h (private to train/): random perturbations of training minibatches' (normalised) inputs:
 * white Gaussian noise (--input-noise) and a per-series, per-feature gain and offset (--input-gain,
 * --input-offset). */
#ifndef KILOML_INPUT_NOISE_H
#define KILOML_INPUT_NOISE_H

#include <stddef.h>
#include <stdint.h>

/* x[i] += sigma·N(0, 1) for i < n. The draws are a function of (seed, step) alone, so a resumed run
 * repeats them and the minibatch-order generator is left untouched. */
void kml_input_noise(float *x, size_t n, double sigma, uint64_t seed, long step);

/* The batch x is time-major, x[(t·b + i)·F + f] (the trainers' layout). Each series i and feature f
 * gets one gain g = 1 + gain·N(0, 1) and one offset o = offset·N(0, 1) for all its T steps:
 * x = g·x + o. That is how a sensor's calibration, placement or a subject's posture moves a whole
 * recording, which white noise does not imitate. The draws are a function of (seed, step) alone.
 * Padding steps past a series' length change too; no output reads them (h is read at len - 1, the EMI
 * loss masks them), as with kml_input_noise. */
void kml_input_jitter(float *x, int T, int b, int F, double gain, double offset, uint64_t seed, long step);

#endif
