#include "CLedgeSocket.h"

#include <linux/tcp.h>
#include <string.h>

_Static_assert(sizeof(struct tcp_info) <= sizeof(ledge_tcp_info_buffer), "ledge_tcp_info_buffer is too small");

ledge_tcp_send_progress ledge_tcp_send_progress_of(const ledge_tcp_info_buffer *info) {
    struct tcp_info tcp;
    memcpy(&tcp, info->bytes, sizeof tcp);
    ledge_tcp_send_progress progress = {
        .bytes_acked = tcp.tcpi_bytes_acked,
        // Sent counts retransmissions again; not yet sent is what waits in the socket's buffer.
        .bytes_written = tcp.tcpi_bytes_sent - tcp.tcpi_bytes_retrans + tcp.tcpi_notsent_bytes,
        .peer_window = tcp.tcpi_snd_wnd,
    };
    return progress;
}
