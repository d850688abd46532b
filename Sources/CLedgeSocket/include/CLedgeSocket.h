// Reads how far a TCP connection's sending side has got, from Linux's TCP_INFO. glibc's
// <netinet/tcp.h>, which Swift imports, declares an older `struct tcp_info` without the fields
// needed here (bytes acknowledged, bytes not yet sent); the kernel's <linux/tcp.h> has them but
// declares the struct a second time, so only this C file includes it.
#ifndef CLEDGE_SOCKET_H
#define CLEDGE_SOCKET_H

#include <stdint.h>

/// Room for the kernel's `struct tcp_info` (232 bytes on Linux 6.1; the kernel fills what it has
/// and the rest stays zero), so that Swift can ask for the option with `getsockopt` through
/// SwiftNIO's `unsafeGetSocketOption`.
typedef struct {
    uint8_t bytes[512];
} ledge_tcp_info_buffer;

/// What a peer has taken of a connection's sending side.
typedef struct {
    /// Bytes the peer has acknowledged since the connection opened (0 before Linux 4.1).
    uint64_t bytes_acked;
    /// Whether bytes wait for the peer: sent and not yet acknowledged, or not yet sent.
    int waiting;
} ledge_tcp_send_progress;

/// The send progress in a TCP_INFO value read into `info`.
ledge_tcp_send_progress ledge_tcp_send_progress_of(const ledge_tcp_info_buffer *info);

#endif
