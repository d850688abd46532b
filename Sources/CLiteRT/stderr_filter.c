// TFLite prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." and
// its interpreter errors ("ERROR: ...", several lines) straight to stderr from
// inside model creation, compilation and tensor allocation, and LiteRT exports
// no way to lower that logger's level or redirect it. A CLI promises one clean
// error line on stderr, so around those calls we point fd 2 at an anonymous
// file, then restore it. The runtime's lines (INFO/WARNING/ERROR/VERBOSE) are
// handed back for Ledge's logger (debug level), and the first ERROR line to be
// folded into our one-line error; lines other threads write meanwhile are
// passed on to stderr, a little later.
//
// Windows may overlap: several models load at once (a repository loads its
// models in parallel), so the lock is held only to open, close and read the
// capture, never while the runtime works. The capture stays open while any
// window is; each window reads the runtime lines written since it began. When
// windows overlap, a window also sees the lines of the others (a failing load
// could name another's error): the model probe runs each model alone in a
// child process first, where the error is always its own.
#define _GNU_SOURCE
#include "CLiteRT.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t ledge_stderr_lock = PTHREAD_MUTEX_INITIALIZER;
static int ledge_saved_stderr = -1;
static int ledge_capture_fd = -1;
static int ledge_open_windows = 0;
/// Bytes of the capture whose other threads' lines were already passed on.
static off_t ledge_passed = 0;

static off_t ledge_capture_size(void) {
    struct stat info;
    return fstat(ledge_capture_fd, &info) == 0 ? info.st_size : 0;
}

long ledge_litert_stderr_quiet_begin(void) {
    pthread_mutex_lock(&ledge_stderr_lock);
    if (ledge_open_windows == 0) {
        fflush(stderr);
        int capture = memfd_create("ledge-stderr", MFD_CLOEXEC);
        int saved = capture >= 0 ? dup(STDERR_FILENO) : -1;
        if (capture < 0 || saved < 0 || dup2(capture, STDERR_FILENO) < 0) {
            if (capture >= 0) close(capture);
            if (saved >= 0) close(saved);
            pthread_mutex_unlock(&ledge_stderr_lock);
            return -1;
        }
        ledge_capture_fd = capture;
        ledge_saved_stderr = saved;
        ledge_passed = 0;
    }
    ledge_open_windows += 1;
    long start = (long)ledge_capture_size();
    pthread_mutex_unlock(&ledge_stderr_lock);
    return start;
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

/// Calls `each` for every line of the capture in [from, to) (a last line
/// without a newline counts as one; lines longer than 4 KiB are split).
static void ledge_each_line(off_t from, off_t to, void (*each)(const char *, size_t, void *), void *context) {
    char line[4096];
    size_t used = 0;
    char chunk[4096];
    off_t at = from;
    while (at < to) {
        size_t want = (size_t)(to - at) < sizeof chunk ? (size_t)(to - at) : sizeof chunk;
        ssize_t got = pread(ledge_capture_fd, chunk, want, at);
        if (got <= 0) break;
        at += got;
        for (ssize_t i = 0; i < got; i++) {
            line[used++] = chunk[i];
            if (chunk[i] == '\n' || used == sizeof line) {
                each(line, used, context);
                used = 0;
            }
        }
    }
    if (used > 0) each(line, used, context);
}

struct ledge_window_lines {
    char *runtime_lines;
    size_t runtime_lines_len;
    char *first_error;
    size_t first_error_len;
};

static void ledge_collect_runtime_line(const char *line, size_t used, void *context) {
    struct ledge_window_lines *out = context;
    if (!ledge_is_runtime_line(line, used)) return;
    // TFLite's logger: handed to the caller, who logs it.
    ledge_append(out->runtime_lines, out->runtime_lines_len, line, used);
    if (line[used - 1] != '\n') ledge_append(out->runtime_lines, out->runtime_lines_len, "\n", 1);
    if (out->first_error && out->first_error_len && out->first_error[0] == 0 && used > 7 &&
        memcmp(line, "ERROR: ", 7) == 0) {
        size_t n = used - 7;
        while (n > 0 && (line[7 + n - 1] == '\n' || line[7 + n - 1] == '\r')) n--;
        if (n >= out->first_error_len) n = out->first_error_len - 1;
        memcpy(out->first_error, line + 7, n);
        out->first_error[n] = 0;
    }
}

static void ledge_pass_on_other_line(const char *line, size_t used, void *context) {
    (void)context;
    // Not the runtime's: another thread wrote it meanwhile; pass it on.
    if (!ledge_is_runtime_line(line, used)) ledge_write_all(ledge_saved_stderr, line, used);
}

void ledge_litert_stderr_quiet_end(long start, char *runtime_lines, size_t runtime_lines_len, char *first_error,
                                   size_t first_error_len) {
    if (first_error && first_error_len) first_error[0] = 0;
    if (runtime_lines && runtime_lines_len) runtime_lines[0] = 0;
    if (start < 0) return;  // begin could not capture: nothing to restore
    pthread_mutex_lock(&ledge_stderr_lock);
    fflush(stderr);
    off_t end = ledge_capture_size();
    struct ledge_window_lines out = {runtime_lines, runtime_lines_len, first_error, first_error_len};
    ledge_each_line((off_t)start, end, ledge_collect_runtime_line, &out);
    ledge_each_line(ledge_passed, end, ledge_pass_on_other_line, NULL);
    ledge_passed = end;
    ledge_open_windows -= 1;
    if (ledge_open_windows == 0) {
        dup2(ledge_saved_stderr, STDERR_FILENO);
        close(ledge_saved_stderr);
        close(ledge_capture_fd);
        ledge_capture_fd = -1;
        ledge_saved_stderr = -1;
    }
    pthread_mutex_unlock(&ledge_stderr_lock);
}
