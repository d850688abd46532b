// Debian's libjpeg-turbo TurboJPEG API (libturbojpeg0-dev), used for JPEG
// decoding with DCT scaling. The header is the system's; nothing is vendored.
#include <turbojpeg.h>
