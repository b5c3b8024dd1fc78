/* input_noise.h (private to train/): Gaussian input noise for training minibatches (--input-noise). */
#ifndef KILOML_INPUT_NOISE_H
#define KILOML_INPUT_NOISE_H

#include <stddef.h>
#include <stdint.h>

/* x[i] += sigma·N(0, 1) for i < n. The draws are a function of (seed, step) alone, so a resumed run
 * repeats them and the minibatch-order generator is left untouched. */
void kml_input_noise(float *x, size_t n, double sigma, uint64_t seed, long step);

#endif
