// CPNG: a small C shim over Debian's libpng (libpng-dev; the system <png.h>,
// nothing vendored).
//
// Why it exists: libpng reports errors by longjmp-ing out of its callbacks,
// which Swift cannot catch or unwind through safely. The setjmp lives here, in
// C, and Swift sees a plain function that returns a status and a message.
// Every symbol defined here is prefixed `ledge_`.
#ifndef LEDGE_CPNG_H
#define LEDGE_CPNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Decoded successfully.
#define LEDGE_PNG_OK 0
/// The data is not a PNG, or is corrupt or truncated; `err` holds libpng's message.
#define LEDGE_PNG_CORRUPT 1
/// The header is valid but the image is over the limits; `w` and `h` hold its size.
#define LEDGE_PNG_TOO_LARGE 2
/// Memory for the pixels could not be allocated.
#define LEDGE_PNG_NO_MEMORY 3

/// Decodes the PNG in `data[0..<size]` to 8-bit interleaved RGB.
///
/// Palette and grayscale images expand to RGB, alpha and tRNS transparency are
/// dropped, 16-bit samples keep their high byte, interlaced images are
/// de-interlaced. The size is checked against `max_side` and `max_pixels`
/// right after the header, before any pixel memory is allocated.
///
/// On `LEDGE_PNG_OK`, `*rgb` points to `w * h * 3` bytes that the caller
/// releases with `ledge_png_free`. On failure `*rgb` is NULL and `err`
/// (of `errlen` bytes, at least 1) holds a NUL-terminated message.
int ledge_png_decode(const uint8_t *data, size_t size, uint32_t max_side, size_t max_pixels,
                     uint8_t **rgb, uint32_t *w, uint32_t *h, char *err, size_t errlen);

/// Releases pixels returned by `ledge_png_decode`.
void ledge_png_free(uint8_t *rgb);

#ifdef __cplusplus
}
#endif

#endif
