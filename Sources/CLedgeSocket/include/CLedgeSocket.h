// Reads how far a TCP connection's sending side has got, from Linux's TCP_INFO. glibc's
// <netinet/tcp.h>, which Swift imports, declares an older `struct tcp_info` without the fields
// needed here (bytes acknowledged, sent, not yet sent, the peer's window); the kernel's <linux/tcp.h> has them but
// declares the struct a second time, so only the C file includes it.
#ifndef CLEDGE_SOCKET_H
#define CLEDGE_SOCKET_H

#include <stdint.h>

/// Room for the kernel's `struct tcp_info` (232 bytes on Linux 6.1; the kernel fills what it has
/// and the rest stays zero), so that Swift can ask for the option with `getsockopt` through
/// SwiftNIO's `unsafeGetSocketOption`.
typedef struct {
    uint8_t bytes[512];
} ledge_tcp_info_buffer;

/// How far a connection's sending side has got (each 0 on a kernel without the field).
typedef struct {
    /// Bytes acknowledged by the peer since the connection opened (Linux 4.1).
    uint64_t bytes_acked;
    /// Bytes written to the socket since it opened: acknowledged, in flight, or not yet sent (4.19).
    uint64_t bytes_written;
    /// The receive window the peer last advertised, in bytes (5.4): it grows as the peer's
    /// program reads what its kernel holds.
    uint32_t peer_window;
} ledge_tcp_send_progress;

/// The send progress in a TCP_INFO value read into `info`.
ledge_tcp_send_progress ledge_tcp_send_progress_of(const ledge_tcp_info_buffer *info);

#endif
