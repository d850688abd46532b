// TFLite prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." and
// its interpreter errors ("ERROR: ...", several lines) straight to stderr from
// inside model creation, compilation and tensor allocation, and LiteRT exports
// no way to lower that logger's level or redirect it. A CLI promises one clean
// error line on stderr, so around those calls we point fd 2 at an anonymous
// file, then restore it. The runtime's lines (INFO/WARNING/ERROR/VERBOSE) are
// handed back for Ledge's logger (debug level), and the first ERROR line to be
// folded into our one-line error; lines other threads write meanwhile are
// passed on to stderr, a little later. One window at a time.
#define _GNU_SOURCE
#include "CLiteRT.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static pthread_mutex_t ledge_stderr_lock = PTHREAD_MUTEX_INITIALIZER;
static int ledge_saved_stderr = -1;
static int ledge_capture_fd = -1;

void ledge_litert_stderr_quiet_begin(void) {
    pthread_mutex_lock(&ledge_stderr_lock);
    fflush(stderr);
    int capture = memfd_create("ledge-stderr", MFD_CLOEXEC);
    int saved = capture >= 0 ? dup(STDERR_FILENO) : -1;
    if (capture < 0 || saved < 0 || dup2(capture, STDERR_FILENO) < 0) {
        if (capture >= 0) close(capture);
        if (saved >= 0) close(saved);
        ledge_capture_fd = -1;
        ledge_saved_stderr = -1;
        return;
    }
    ledge_capture_fd = capture;
    ledge_saved_stderr = saved;
}

static void ledge_write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

static int ledge_is_runtime_line(const char *line, size_t used) {
    static const char *prefixes[] = {"INFO: ", "ERROR: ", "WARNING: ", "VERBOSE: "};
    for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
        size_t n = strlen(prefixes[k]);
        if (used >= n && memcmp(line, prefixes[k], n) == 0) return 1;
    }
    return 0;
}

static void ledge_append(char *buffer, size_t length, const char *text, size_t n) {
    if (!buffer || !length) return;
    size_t have = strnlen(buffer, length);
    if (have + 1 >= length) return;
    if (n > length - 1 - have) n = length - 1 - have;
    memcpy(buffer + have, text, n);
    buffer[have + n] = 0;
}

void ledge_litert_stderr_quiet_end(char *runtime_lines, size_t runtime_lines_len, char *first_error, size_t first_error_len) {
    if (first_error && first_error_len) first_error[0] = 0;
    if (runtime_lines && runtime_lines_len) runtime_lines[0] = 0;
    if (ledge_capture_fd >= 0) {
        fflush(stderr);
        dup2(ledge_saved_stderr, STDERR_FILENO);
        close(ledge_saved_stderr);
        off_t size = lseek(ledge_capture_fd, 0, SEEK_END);
        if (size > 0) {
            char line[4096];
            size_t used = 0;
            lseek(ledge_capture_fd, 0, SEEK_SET);
            char chunk[4096];
            ssize_t got;
            int more = 1;
            while (more) {
                got = read(ledge_capture_fd, chunk, sizeof chunk);
                more = got > 0;
                // A last line without a newline is handled as if it had one.
                ssize_t count = more ? got : (used > 0 ? 1 : 0);
                for (ssize_t i = 0; i < count; i++) {
                    int end = !more;
                    if (more) {
                        if (used < sizeof line) line[used++] = chunk[i];
                        end = chunk[i] == '\n' || used == sizeof line;
                    }
                    if (!end) continue;
                    if (ledge_is_runtime_line(line, used)) {
                        // TFLite's logger: handed to the caller, who logs it.
                        ledge_append(runtime_lines, runtime_lines_len, line, used);
                        if (line[used - 1] != '\n') ledge_append(runtime_lines, runtime_lines_len, "\n", 1);
                        if (first_error && first_error_len && first_error[0] == 0 && used > 7 &&
                            memcmp(line, "ERROR: ", 7) == 0) {
                            size_t n = used - 7;
                            while (n > 0 && (line[7 + n - 1] == '\n' || line[7 + n - 1] == '\r')) n--;
                            if (n >= first_error_len) n = first_error_len - 1;
                            memcpy(first_error, line + 7, n);
                            first_error[n] = 0;
                        }
                    } else {
                        // Not the runtime's: another thread wrote it meanwhile; pass it on.
                        ledge_write_all(STDERR_FILENO, line, used);
                    }
                    used = 0;
                }
            }
        }
        close(ledge_capture_fd);
        ledge_capture_fd = -1;
        ledge_saved_stderr = -1;
    }
    pthread_mutex_unlock(&ledge_stderr_lock);
}
