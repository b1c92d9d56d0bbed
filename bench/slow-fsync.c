/*
 * A slower disk for the benches: every fsync and fdatasync of the process first sleeps
 * FSYNC_DELAY_US microseconds (default 1000), then syncs as usual. This VM's disk syncs in about
 * 0.15 ms; many SSDs and cloud volumes take 0.5-5 ms.
 *
 *   gcc -shared -fPIC -O2 -o /tmp/slow-fsync.so bench/slow-fsync.c -ldl
 *   LD_PRELOAD=/tmp/slow-fsync.so FSYNC_DELAY_US=1000 node --import tsx bench/audit-overhead.ts 300 3 3 0 none,per-episode
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void wait_for_disk(void) {
  const char *value = getenv("FSYNC_DELAY_US");
  long us = value ? atol(value) : 1000;
  struct timespec pause = {us / 1000000, (us % 1000000) * 1000};
  nanosleep(&pause, NULL);
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  wait_for_disk();
  return real(fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  wait_for_disk();
  return real(fd);
}
