// The loops of calibration and weight quantization, in C. They read every value of every
// activation on every calibration input (hundreds of millions of floats for a small CNN):
// compiled with optimization even in debug builds (Package.swift), they keep `ledge quantize`
// and its tests fast where unoptimized Swift, with its bounds checks, takes minutes.
#ifndef CLEDGE_QUANTIZE_H
#define CLEDGE_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

/// Lowers `*low` and raises `*high` to the smallest and largest finite value of `values`.
void ledge_q_minmax(const float *values, size_t count, float *low, float *high);

/// Adds the finite `values` (their magnitudes when `absolute`) to `counts[bins]`, bin
/// (x - low) / width clamped to the first and last bin.
void ledge_q_histogram(const float *values, size_t count, float low, float width, int absolute, double *counts, size_t bins);

/// Largest magnitude per channel: element i is in channel (i / inner) % channels.
void ledge_q_channel_magnitudes(const float *values, size_t count, size_t channels, size_t inner, float *magnitudes);

/// round-half-even(value / scale[channel]) saturated to [-limit, limit] (127, or 64 for a reduced
/// range), channel as above.
void ledge_q_quantize_int8(
    const float *values, size_t count, const float *scales, size_t channels, size_t inner, int limit, int8_t *out);

#endif
