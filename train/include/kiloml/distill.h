/* kiloml/distill.h: knowledge distillation from a teacher model's logits (Hinton et al. 2015).
 *
 *   KD = T² · (1/N) Σ_n KL(q_n ‖ p_n),  q_n = softmax(t_n / T) (teacher), p_n = softmax(z_n / T) (student)
 *   dKD/dz_n = T · (p_n − q_n) / N
 *
 * The trainer's loss with a teacher is (1 − a)·CE(z, y) + a·KD (train --teacher, --distill a,
 * --temperature T). The T² keeps the soft term's gradient on the scale of the hard one as T grows. */
#ifndef KILOML_DISTILL_H
#define KILOML_DISTILL_H

/* KD over N rows of C logits (student z, teacher t, row-major); the gradient w.r.t. z into dz (N×C).
 * Stable for any logits (each row shifted by its max). T > 0. */
double kml_distill_kl(const float *z, const float *t, int N, int C, double T, float *dz);

#endif
