// Debian's zlib (zlib1g-dev), used to inflate deflated entries of the zip
// archive that TFLite zoo models carry at their tail (labels files). The
// header is the system's; nothing is vendored.
#include <zlib.h>
