#include "CLedgeImage.h"

#include <string.h>

typedef int32_t ledge_i32x4 __attribute__((vector_size(16)));
typedef int32_t ledge_i32x16 __attribute__((vector_size(64)));
typedef uint8_t ledge_u8x4 __attribute__((vector_size(4)));
typedef uint8_t ledge_u8x16 __attribute__((vector_size(16)));

#define LEDGE_IMG_HALF (1 << (LEDGE_IMG_PRECISION - 1))
#define LEDGE_IMG_INLINE static inline __attribute__((always_inline))

LEDGE_IMG_INLINE uint8_t ledge_img_clip8(int32_t value) {
    if (value >= (1 << (LEDGE_IMG_PRECISION + 8))) return 255;
    if (value <= 0) return 0;
    return (uint8_t)(value >> LEDGE_IMG_PRECISION);
}

/// clip8 on 4 sums at once: (sum >> precision) clamped to 0...255 is the same function.
LEDGE_IMG_INLINE ledge_u8x4 ledge_img_clip8x4(ledge_i32x4 sum) {
    ledge_i32x4 v = sum >> LEDGE_IMG_PRECISION;
    v &= ~(v >> 31);             // negatives to 0
    ledge_i32x4 over = v > 255;  // -1 where above 255
    return __builtin_convertvector((v & ~over) | (over & 255), ledge_u8x4);
}

LEDGE_IMG_INLINE void ledge_img_horizontal(const uint8_t *src, size_t width, size_t rows, uint8_t *dst,
                                           size_t out_width, const int32_t *starts, const int32_t *weights,
                                           size_t taps, uint8_t *scratch) {
    // Each row is copied beside zero padding: a tap reads 4 bytes (its pixel and the next
    // pixel's red, in a lane that is never stored) and unused taps read past the row's end.
    const size_t row_bytes = width * 3;
    memset(scratch + row_bytes, 0, 3 * taps + 4);
    for (size_t y = 0; y < rows; y++) {
        memcpy(scratch, src + y * row_bytes, row_bytes);
        uint8_t *out = dst + y * out_width * 3;
        for (size_t o = 0; o < out_width; o++) {
            // The same number of taps for every pixel (the unused ones weigh 0): a varying
            // count costs a mispredicted branch per pixel.
            const uint8_t *p = scratch + 3 * (size_t)starts[o];
            const int32_t *w = weights + o * taps;
            ledge_i32x4 sum = {LEDGE_IMG_HALF, LEDGE_IMG_HALF, LEDGE_IMG_HALF, LEDGE_IMG_HALF};
            for (size_t k = 0; k < taps; k++) {
                ledge_u8x4 pixel;
                memcpy(&pixel, p + 3 * k, 4);
                sum += __builtin_convertvector(pixel, ledge_i32x4) * w[k];
            }
            ledge_u8x4 bytes = ledge_img_clip8x4(sum);
            // Four bytes at once (the fourth is overwritten by the next pixel), but never past
            // the row's end.
            if (o + 1 < out_width) {
                memcpy(out + 3 * o, &bytes, 4);
            } else {
                memcpy(out + 3 * o, &bytes, 3);
            }
        }
    }
}

LEDGE_IMG_INLINE void ledge_img_vertical(const uint8_t *src, size_t row_bytes, uint8_t *dst, size_t out_rows,
                                         const int32_t *starts, const int32_t *counts, const int32_t *weights,
                                         size_t stride) {
    for (size_t o = 0; o < out_rows; o++) {
        const uint8_t *first = src + (size_t)starts[o] * row_bytes;
        const int32_t *w = weights + o * stride;
        const int32_t n = counts[o];
        uint8_t *out = dst + o * row_bytes;
        size_t i = 0;
        // 16 bytes at a time, their sums held in registers across the taps.
        for (; i + 16 <= row_bytes; i += 16) {
            ledge_i32x16 sum = {0};
            sum += LEDGE_IMG_HALF;
            for (int32_t k = 0; k < n; k++) {
                ledge_u8x16 bytes;
                memcpy(&bytes, first + (size_t)k * row_bytes + i, 16);
                sum += __builtin_convertvector(bytes, ledge_i32x16) * w[k];
            }
            // ledge_img_clip8x4 on the 16 sums.
            ledge_i32x16 v = sum >> LEDGE_IMG_PRECISION;
            v &= ~(v >> 31);
            ledge_i32x16 over = v > 255;
            ledge_u8x16 clipped = __builtin_convertvector((v & ~over) | (over & 255), ledge_u8x16);
            memcpy(out + i, &clipped, 16);
        }
        for (; i < row_bytes; i++) {
            int32_t sum = LEDGE_IMG_HALF;
            for (int32_t k = 0; k < n; k++) sum += (int32_t)first[(size_t)k * row_bytes + i] * w[k];
            out[i] = ledge_img_clip8(sum);
        }
    }
}

#define LEDGE_IMG_H_ARGS src, width, rows, dst, out_width, starts, weights, taps, scratch
#define LEDGE_IMG_V_ARGS src, row_bytes, dst, out_rows, starts, counts, weights, stride

#if defined(__x86_64__)
// x86-64's baseline (SSE2) has no 32-bit vector multiply nor byte-to-int widening: emulated,
// they make these loops 2-3x slower than SSE4.1's pmulld/pmovzxbd, which every x86-64 CPU
// since 2008 has. Both versions are built; the CPU picks.
__attribute__((target("sse4.1"))) static void ledge_img_horizontal_sse41(
    const uint8_t *src, size_t width, size_t rows, uint8_t *dst, size_t out_width, const int32_t *starts,
    const int32_t *weights, size_t taps, uint8_t *scratch) {
    ledge_img_horizontal(LEDGE_IMG_H_ARGS);
}

__attribute__((target("sse4.1"))) static void ledge_img_vertical_sse41(
    const uint8_t *src, size_t row_bytes, uint8_t *dst, size_t out_rows, const int32_t *starts,
    const int32_t *counts, const int32_t *weights, size_t stride) {
    ledge_img_vertical(LEDGE_IMG_V_ARGS);
}
#define LEDGE_IMG_HAS_SSE41 __builtin_cpu_supports("sse4.1")
#endif

void ledge_img_resample_horizontal(const uint8_t *src, size_t width, size_t rows, uint8_t *dst, size_t out_width,
                                   const int32_t *starts, const int32_t *weights, size_t taps, uint8_t *scratch) {
#ifdef LEDGE_IMG_HAS_SSE41
    if (LEDGE_IMG_HAS_SSE41) {
        ledge_img_horizontal_sse41(LEDGE_IMG_H_ARGS);
        return;
    }
#endif
    ledge_img_horizontal(LEDGE_IMG_H_ARGS);
}

void ledge_img_resample_vertical(const uint8_t *src, size_t row_bytes, uint8_t *dst, size_t out_rows,
                                 const int32_t *starts, const int32_t *counts, const int32_t *weights, size_t stride) {
#ifdef LEDGE_IMG_HAS_SSE41
    if (LEDGE_IMG_HAS_SSE41) {
        ledge_img_vertical_sse41(LEDGE_IMG_V_ARGS);
        return;
    }
#endif
    ledge_img_vertical(LEDGE_IMG_V_ARGS);
}
