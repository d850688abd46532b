// See CLedgeProcess.h: a crash guard that turns a runtime's fatal signal into
// one line on stderr, the probe's memory bound, the spawn of the probe, thread names and
// the unmapping of code pages run only at start, the unnamed file copy of a model's bytes.
#define _GNU_SOURCE
#include "CLedgeProcess.h"

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static char ledge_context[1024];
static int ledge_error_fd = -1;
static const int ledge_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

const char *ledge_signal_name(int signal_number) {
    switch (signal_number) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGTRAP: return "SIGTRAP";
    case SIGXCPU: return "SIGXCPU";
    default: return "signal";
    }
}

static void ledge_put(const char *text) {
    size_t n = strlen(text);
    while (n > 0) {
        ssize_t w = write(ledge_error_fd, text, n);
        if (w <= 0) return;
        text += w;
        n -= (size_t)w;
    }
}

static void ledge_crash_handler(int signal_number) {
    // Only async-signal-safe calls from here on.
    char number[16];
    int value = signal_number, i = (int)sizeof number - 1;
    number[i] = 0;
    do { number[--i] = (char)('0' + value % 10); value /= 10; } while (value > 0 && i > 0);
    ledge_put("error: ");
    if (ledge_context[0]) {
        ledge_put(ledge_context);
        ledge_put(": ");
    }
    ledge_put("the runtime crashed (signal ");
    ledge_put(&number[i]);
    ledge_put(", ");
    ledge_put(ledge_signal_name(signal_number));
    ledge_put(")\n");
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

void ledge_crash_guard_install(void) {
    if (ledge_error_fd >= 0) return;
    ledge_error_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
    if (ledge_error_fd < 0) ledge_error_fd = STDERR_FILENO;
    static char stack[64 * 1024];
    stack_t alternate = {.ss_sp = stack, .ss_size = sizeof stack, .ss_flags = 0};
    sigaltstack(&alternate, NULL);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = ledge_crash_handler;
    action.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    for (size_t k = 0; k < sizeof ledge_signals / sizeof ledge_signals[0]; k++) sigaction(ledge_signals[k], &action, NULL);
}

void ledge_crash_guard_set_context(const char *context) {
    if (!context) context = "";
    size_t n = strnlen(context, sizeof ledge_context - 1);
    memcpy(ledge_context, context, n);
    ledge_context[n] = 0;
}

int ledge_limit_address_space(unsigned long long bytes) {
    struct rlimit limit = {.rlim_cur = (rlim_t)bytes, .rlim_max = (rlim_t)bytes};
    return setrlimit(RLIMIT_AS, &limit);
}

extern char **environ;

int ledge_spawn_close_inherited(void *untyped) {
    posix_spawn_file_actions_t *actions = untyped;
#ifdef __GLIBC__
    return posix_spawn_file_actions_addclosefrom_np(actions, STDERR_FILENO + 1);
#else
    int error = 0;
    for (long fd = STDERR_FILENO + 1, n = sysconf(_SC_OPEN_MAX); !error && fd < n && fd < 65536; fd++)
        error = posix_spawn_file_actions_addclose(actions, (int)fd);
    return error;
#endif
}

int ledge_spawn(const char *path, char *const argv[], int output_fd, int *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int error = posix_spawn_file_actions_init(&actions);
    if (error != 0) return error;
    error = posix_spawnattr_init(&attributes);
    if (error != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return error;
    }
    if (!error) error = posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDWR, 0);
    if (!error) error = posix_spawn_file_actions_adddup2(&actions, output_fd, STDOUT_FILENO);
    if (!error) error = posix_spawn_file_actions_adddup2(&actions, output_fd, STDERR_FILENO);
    if (!error) error = ledge_spawn_close_inherited(&actions);
    if (!error) error = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    if (!error) error = posix_spawn(pid, path, &actions, &attributes, argv, environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return error;
}

int ledge_release_free_heap(void) {
#ifdef __GLIBC__
    return malloc_trim(0);
#else
    return 0;
#endif
}

long long ledge_drop_file_text_pages(void) {
    FILE *smaps = fopen("/proc/self/smaps", "re");
    if (smaps == NULL) return -1;
    char line[4096];
    unsigned long start = 0, end = 0;
    int candidate = 0;
    long long dropped = 0;
    while (fgets(line, sizeof line, smaps) != NULL) {
        unsigned long low, high, inode;
        unsigned long long offset;
        char perms[8], device[32];
        int path = 0;
        // A mapping's header: "low-high perms offset device inode   /path"; fields after it are "Name: value".
        if (sscanf(line, "%lx-%lx %7s %llx %31s %lu %n", &low, &high, perms, &offset, device, &inode, &path) == 6) {
            start = low;
            end = high;
            candidate = strcmp(perms, "r-xp") == 0 && inode != 0 && path > 0 && line[path] == '/';
        } else if (candidate && strncmp(line, "Anonymous:", 10) == 0) {
            if (strtoul(line + 10, NULL, 10) == 0 && madvise((void *)start, end - start, MADV_DONTNEED) == 0) {
                dropped += (long long)(end - start);
            }
            candidate = 0;
        }
    }
    fclose(smaps);
    return dropped;
}

void *ledge_map_unnamed_copy(const char *directory, const void *bytes, size_t count, int *error) {
    int fd = open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        *error = errno;
        return NULL;
    }
    const char *next = bytes;
    size_t left = count;
    while (left > 0) {
        ssize_t written = write(fd, next, left);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) {
            *error = written < 0 ? errno : EIO;
            close(fd);
            return NULL;
        }
        next += written;
        left -= (size_t)written;
    }
    void *mapping = mmap(NULL, count, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    *error = mapping == MAP_FAILED ? errno : 0;
    close(fd);  // the mapping keeps the file
    return mapping == MAP_FAILED ? NULL : mapping;
}

int ledge_name_thread(const char *name) {
    char cut[16];
    strncpy(cut, name, sizeof cut - 1);
    cut[sizeof cut - 1] = 0;
    return pthread_setname_np(pthread_self(), cut);
}

int ledge_thread_name(char name[16]) { return pthread_getname_np(pthread_self(), name, 16); }
