// XNNPACK's worker threads sleep when a session is idle, and the next run's
// wake-up lets Linux place them (wake-affine) on the core of the thread that
// woke them: both threads of a 2-thread session then share one core, and a run
// that follows a pause (a camera's next frame, a server's next request) takes
// the single-thread time. Runs back to back keep the workers spinning on their
// own cores, which is why benchmarks never see it. These helpers find the
// workers (threads created while the creating thread wore a tag name, which
// new threads inherit) and keep each on a core of its own, off the caller's.
// Affinity masks are C macros (CPU_SET…), hence C.
#define _GNU_SOURCE
#include "CLiteRT.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int ledge_litert_thread_id(void) { return (int)syscall(SYS_gettid); }


int ledge_litert_allowed_cpus(int *cpus, int capacity) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
  int count = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE && count < capacity; cpu++) {
    if (CPU_ISSET(cpu, &set)) cpus[count++] = cpu;
  }
  return count;
}

int ledge_litert_pin_thread(int thread_id, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity((pid_t)thread_id, sizeof(set), &set) == 0 ? 0 : -1;
}

int ledge_litert_current_cpu(void) { return sched_getcpu(); }

int ledge_litert_threads_named(const char *name, int *thread_ids, int capacity) {
  DIR *tasks = opendir("/proc/self/task");
  if (tasks == NULL) return 0;
  int count = 0;
  struct dirent *entry;
  while ((entry = readdir(tasks)) != NULL && count < capacity) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%s/comm", entry->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char comm[32] = {0};
    ssize_t length = read(fd, comm, sizeof(comm) - 1);
    close(fd);
    if (length > 0 && comm[length - 1] == '\n') comm[length - 1] = 0;
    if (strcmp(comm, name) == 0) thread_ids[count++] = atoi(entry->d_name);
  }
  closedir(tasks);
  return count;
}
