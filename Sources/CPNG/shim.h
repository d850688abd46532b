// Debian's libpng (libpng-dev), used for PNG decoding. The header is the
// system's; nothing is vendored.
#include <png.h>
