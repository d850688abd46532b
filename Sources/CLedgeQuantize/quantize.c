#include "CLedgeQuantize.h"

#include <math.h>

void ledge_q_minmax(const float *values, size_t count, float *low, float *high) {
    float lo = *low, hi = *high;
    for (size_t i = 0; i < count; i++) {
        float x = values[i];
        if (!isfinite(x)) continue;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
    }
    *low = lo;
    *high = hi;
}

void ledge_q_histogram(const float *values, size_t count, float low, float width, int absolute, double *counts, size_t bins) {
    if (bins == 0) return;
    for (size_t i = 0; i < count; i++) {
        float x = values[i];
        if (!isfinite(x)) continue;
        if (absolute) x = fabsf(x);
        float position = (x - low) / width;
        size_t bin = position <= 0 ? 0 : position >= (float)(bins - 1) ? bins - 1 : (size_t)position;
        counts[bin] += 1;
    }
}

void ledge_q_channel_magnitudes(const float *values, size_t count, size_t channels, size_t inner, float *magnitudes) {
    if (channels == 0 || inner == 0) return;
    for (size_t i = 0; i < count; i++) {
        size_t c = (i / inner) % channels;
        float m = fabsf(values[i]);
        if (m > magnitudes[c]) magnitudes[c] = m;
    }
}

void ledge_q_quantize_int8(
    const float *values, size_t count, const float *scales, size_t channels, size_t inner, int limit, int8_t *out) {
    if (channels == 0 || inner == 0) return;
    const float high = (float)limit, low = -(float)limit;
    for (size_t i = 0; i < count; i++) {
        float q = nearbyintf(values[i] / scales[(i / inner) % channels]);
        out[i] = (int8_t)(q < low ? low : q > high ? high : q);
    }
}
