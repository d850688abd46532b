// The resize's two passes, in C. They are the most expensive code of ours on an image request
// (perf of `ledge serve` under load: ~10 % of its CPU, more than the JPEG decode), and C lets
// them use the CPU's vector unit (SSE/AVX or NEON, through the compiler's generic vectors) where
// Swift's loops stayed scalar. Compiled with optimization even in debug builds (Package.swift).
// Arithmetic is Pillow's bilinear resampling to the bit: 22-bit fixed-point weights, 32-bit sums
// started at one half, clipped to 8 bits after each pass.
#ifndef CLEDGE_IMAGE_H
#define CLEDGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/// Fractional bits of the fixed-point weights.
#define LEDGE_IMG_PRECISION 22

/// Resamples `rows` rows of 3-channel pixels `src` (`width` pixels each) horizontally to
/// `out_width` pixels into `dst`. Output pixel `o` reads `taps` input pixels from `starts[o]`
/// with weights `weights[o * taps ...]`; reads past the row's end must weigh 0.
/// `scratch` holds `3 * (width + taps) + 4` bytes.
void ledge_img_resample_horizontal(const uint8_t *src, size_t width, size_t rows, uint8_t *dst, size_t out_width,
                                   const int32_t *starts, const int32_t *weights, size_t taps, uint8_t *scratch);

/// Resamples rows of `row_bytes` bytes vertically: output row `o` of `dst` sums `counts[o]` rows
/// of `src` from row `starts[o]` with weights `weights[o * stride ...]`, for `out_rows` rows.
void ledge_img_resample_vertical(const uint8_t *src, size_t row_bytes, uint8_t *dst, size_t out_rows,
                                 const int32_t *starts, const int32_t *counts, const int32_t *weights, size_t stride);

#endif
