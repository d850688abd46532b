// PNG decoding for Ledge on top of the system libpng; see include/CPNG.h for
// why this is C. Errors longjmp back to the setjmp in ledge_png_decode.
#include "CPNG.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
    char *err;
    size_t errlen;
    // Owned allocations, released on both the success and the error path.
    uint8_t *pixels;
    png_bytep *rows;
} ledge_png_ctx;

static void ledge_png_set_error(ledge_png_ctx *ctx, const char *message) {
    if (ctx->errlen == 0) return;
    strncpy(ctx->err, message ? message : "unknown libpng error", ctx->errlen - 1);
    ctx->err[ctx->errlen - 1] = '\0';
}

static void ledge_png_error(png_structp png, png_const_charp message) {
    ledge_png_ctx *ctx = (ledge_png_ctx *)png_get_error_ptr(png);
    ledge_png_set_error(ctx, message);
    png_longjmp(png, 1);
}

static void ledge_png_warning(png_structp png, png_const_charp message) {
    // Warnings (bad ancillary chunks, sRGB profile quirks) do not stop decoding.
    (void)png;
    (void)message;
}

static void ledge_png_read(png_structp png, png_bytep out, png_size_t count) {
    ledge_png_ctx *ctx = (ledge_png_ctx *)png_get_io_ptr(png);
    if (count > ctx->size - ctx->pos) {
        png_error(png, "unexpected end of data");
    }
    memcpy(out, ctx->data + ctx->pos, count);
    ctx->pos += count;
}

void ledge_png_free(uint8_t *rgb) { free(rgb); }

int ledge_png_decode(const uint8_t *data, size_t size, uint32_t max_side, size_t max_pixels,
                     uint8_t **rgb, uint32_t *w, uint32_t *h, char *err, size_t errlen) {
    *rgb = NULL;
    *w = 0;
    *h = 0;
    if (errlen > 0) err[0] = '\0';
    // On the heap: locals changed between setjmp and longjmp would be
    // indeterminate after the jump; this pointer never changes.
    ledge_png_ctx *ctx = (ledge_png_ctx *)calloc(1, sizeof(ledge_png_ctx));
    if (ctx == NULL) return LEDGE_PNG_NO_MEMORY;
    ctx->data = data;
    ctx->size = size;
    ctx->err = err;
    ctx->errlen = errlen;

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, ledge_png_error, ledge_png_warning);
    if (png == NULL) {
        ledge_png_set_error(ctx, "cannot create libpng read struct");
        free(ctx);
        return LEDGE_PNG_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        ledge_png_set_error(ctx, "cannot create libpng info struct");
        free(ctx);
        return LEDGE_PNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(ctx->rows);
        free(ctx->pixels);
        free(ctx);
        png_destroy_read_struct(&png, &info, NULL);
        return LEDGE_PNG_CORRUPT;
    }

    png_set_read_fn(png, ctx, ledge_png_read);
    // Our own limits decide; lift libpng's 1,000,000-pixel default so an
    // oversized image gets our message rather than a header error.
    png_set_user_limits(png, 0x7fffffffU, 0x7fffffffU);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    *w = width;
    *h = height;
    if (width > max_side || height > max_side || (size_t)width * (size_t)height > max_pixels) {
        png_destroy_read_struct(&png, &info, NULL);
        free(ctx);
        return LEDGE_PNG_TOO_LARGE;
    }

    // To 8-bit RGB or RGBA: palette -> RGB, gray < 8 bits -> 8, tRNS -> alpha,
    // 16 -> 8 (high byte, as Pillow does), gray -> RGB.
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    (void)png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if ((channels != 3 && channels != 4) || png_get_bit_depth(png, info) != 8 ||
        rowbytes != (size_t)width * channels) {
        png_error(png, "unsupported pixel layout after expansion");
    }

    ctx->pixels = (uint8_t *)malloc(rowbytes * height);
    ctx->rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (ctx->pixels == NULL || ctx->rows == NULL) {
        png_error(png, "out of memory for pixels");
    }
    for (png_uint_32 y = 0; y < height; y++) ctx->rows[y] = ctx->pixels + (size_t)y * rowbytes;
    png_read_image(png, ctx->rows);

    if (channels == 4) {
        // Drop alpha in place: the RGB output never overtakes the RGBA input.
        size_t count = (size_t)width * height;
        uint8_t *p = ctx->pixels;
        for (size_t i = 0; i < count; i++) {
            p[i * 3 + 0] = p[i * 4 + 0];
            p[i * 3 + 1] = p[i * 4 + 1];
            p[i * 3 + 2] = p[i * 4 + 2];
        }
        uint8_t *shrunk = (uint8_t *)realloc(ctx->pixels, count * 3 > 0 ? count * 3 : 1);
        if (shrunk != NULL) ctx->pixels = shrunk;
    }

    *rgb = ctx->pixels;
    free(ctx->rows);
    free(ctx);
    png_destroy_read_struct(&png, &info, NULL);
    return LEDGE_PNG_OK;
}
