// Process-level helpers Swift cannot write safely itself: a fatal-signal
// handler must be async-signal-safe (no allocation, no locks, no Swift
// runtime calls), and resource limits are set before any runtime loads.
#ifndef CLEDGE_PROCESS_H
#define CLEDGE_PROCESS_H

#include <stddef.h>

/// Installs handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT (on an
/// alternate stack) that write one line to the stderr of the moment of
/// installation — "error: CONTEXT: the runtime crashed (signal 11, SIGSEGV)" —
/// and then re-raise the signal, so the process still dies by it (a parent
/// sees the signal; a core dump, if enabled, is still written). Idempotent.
void ledge_crash_guard_install(void);

/// Sets the context the crash line names (copied; at most 1 KiB is kept);
/// NULL or "" restores the default, "the runtime crashed".
void ledge_crash_guard_set_context(const char *context);

/// Limits the process's address space to `bytes` (RLIMIT_AS); 0 on success.
int ledge_limit_address_space(unsigned long long bytes);

/// Starts the executable `path` with `argv` (NULL-terminated) and the current
/// environment as Foundation's `Process.run()` does on Linux: in its own
/// process group, stdin from /dev/null, stdout and stderr to `output_fd`, no
/// other descriptor inherited. 0 and `*pid` set, else an errno value.
int ledge_spawn(const char *path, char *const argv[], int output_fd, int *pid);

/// Adds to `actions` the closing of every descriptor from 3 up, so that the child inherits
/// only its standard input, output and error (call it after the `dup2`/`open` actions for
/// those). Our own descriptors are not all close-on-exec (Swift cannot call `pipe2`; tests'
/// sockets), and an inherited socket outlives our `close`: an `ssh` ControlMaster that
/// persists 60 s keeps a served connection open that long. 0 on success, else an errno
/// value. (`posix_spawn_file_actions_addclosefrom_np` needs _GNU_SOURCE.) `actions` is a
/// `posix_spawn_file_actions_t *`, untyped so that this module does not declare Glibc's
/// spawn types a second time for Swift.
int ledge_spawn_close_inherited(void *actions);

/// Gives the heap's free memory back to the system (glibc's `malloc_trim(0)`, over every
/// malloc arena). A runtime's model load frees tens of MB of temporaries (the parsed model,
/// copies made by graph rewrites) that glibc keeps otherwise: its mmap threshold rises with
/// large frees, so they land in per-thread heaps that only a trim returns. 1 when memory was
/// returned, 0 when none could be (or on a C library without `malloc_trim`).
int ledge_release_free_heap(void);

/// Unmaps the resident pages of the process's executable file mappings (`r-xp`, backed by a
/// file, with no private copy of any page: `Anonymous: 0 kB` in /proc/self/smaps) with
/// MADV_DONTNEED. The pages stay in the page cache; those still used fault back in (a minor
/// fault, no I/O) as they are run, so resident memory then counts the code the server runs,
/// not the code it ran once to start and load models. Mappings with written pages (relocated
/// data, a debugger's breakpoints) are left alone: dropping a private copy would bring back the
/// file's bytes. The bytes advised, or -1 when /proc/self/smaps cannot be read.
long long ledge_drop_file_text_pages(void);

/// Writes `count` bytes (at least 1) to a new file without a name in `directory` (`O_TMPFILE`: no
/// other process can open, change or truncate it, and it is gone once unmapped) and maps it
/// shared, readable and writable. Memory mapped so is the page cache's: pages not in use can be
/// dropped from the process (`MADV_DONTNEED`) and read back, where an anonymous copy would stay
/// resident. The mapping (page-aligned), or NULL with `*error` set to an errno value (e.g.
/// EOPNOTSUPP on a file system without unnamed files, EACCES on a folder that cannot be written).
void *ledge_map_unnamed_copy(const char *directory, const void *bytes, size_t count, int *error);

/// Names the calling thread (as `top -H`, `perf` and /proc show it); names longer than 15
/// bytes are cut. 0 on success, else an errno value. (`pthread_setname_np` needs
/// _GNU_SOURCE, which Swift's Glibc module is not built with.)
int ledge_name_thread(const char *name);

/// The calling thread's name, into `name` (16 bytes with the NUL). 0 on success, else an errno value.
int ledge_thread_name(char name[16]);

/// The name of a signal number, as "SIGSEGV", or "signal" when unknown.
const char *ledge_signal_name(int signal_number);

#endif
