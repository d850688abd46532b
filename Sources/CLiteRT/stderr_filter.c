// TFLite prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." and
// its interpreter errors ("ERROR: ...", several lines) straight to stderr from
// inside compilation and tensor allocation, and LiteRT exports no way to lower
// that logger's level. A CLI promises one clean error line on stderr, so
// around those calls we point fd 2 at an anonymous file, then restore it. On
// success every captured line but the INFO one is passed on; on failure the
// first ERROR line is handed back to be folded into our one-line error. Lines
// other threads write meanwhile are passed on too, a little later. One window
// at a time.
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

void ledge_litert_stderr_quiet_end(int pass_through, char *first_error, size_t first_error_len) {
    if (first_error && first_error_len) first_error[0] = 0;
    if (ledge_capture_fd >= 0) {
        fflush(stderr);
        dup2(ledge_saved_stderr, STDERR_FILENO);
        close(ledge_saved_stderr);
        off_t size = lseek(ledge_capture_fd, 0, SEEK_END);
        if (size > 0) {
            static const char noise[] = "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.";
            char line[4096];
            size_t used = 0;
            lseek(ledge_capture_fd, 0, SEEK_SET);
            char chunk[4096];
            ssize_t got;
            while ((got = read(ledge_capture_fd, chunk, sizeof chunk)) > 0) {
                for (ssize_t i = 0; i < got; i++) {
                    if (used < sizeof line) line[used++] = chunk[i];
                    if (chunk[i] == '\n' || used == sizeof line) {
                        int is_noise = used > sizeof noise - 1 && memcmp(line, noise, sizeof noise - 1) == 0;
                        if (!is_noise && pass_through) ledge_write_all(STDERR_FILENO, line, used);
                        if (!is_noise && first_error && first_error_len && first_error[0] == 0 &&
                            used > 7 && memcmp(line, "ERROR: ", 7) == 0) {
                            size_t n = used - 7;
                            while (n > 0 && (line[7 + n - 1] == '\n' || line[7 + n - 1] == '\r')) n--;
                            if (n >= first_error_len) n = first_error_len - 1;
                            memcpy(first_error, line + 7, n);
                            first_error[n] = 0;
                        }
                        used = 0;
                    }
                }
            }
            if (used > 0 && pass_through) ledge_write_all(STDERR_FILENO, line, used);
        }
        close(ledge_capture_fd);
        ledge_capture_fd = -1;
        ledge_saved_stderr = -1;
    }
    pthread_mutex_unlock(&ledge_stderr_lock);
}
