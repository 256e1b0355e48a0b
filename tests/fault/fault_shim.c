/*
** libfaultshim.so: an LD_PRELOAD library for tests that makes the k-th
** pwrite, fdatasync/fsync or ftruncate of chosen files fail, so that the
** shipped lightning.so can be fault-tested through SQL without any test hook
** in it. The engine's POSIX backend (engine/io_posix.cc) calls exactly these
** functions, so every write of the store goes through here.
**
** USAGE (from Python, in a process started with LD_PRELOAD=libfaultshim.so):
**
**   shim = ctypes.CDLL("libfaultshim.so")   # the preloaded copy
**   shim.lt_fault_arm(b"app.db-lightning", mode, k, seed)
**   ...                                      # SQL that writes the store
**   shim.lt_fault_counts(byref(w), byref(s), byref(t), byref(fired))
**
** A file matches when its path (from /proc/self/fd) contains the pattern and
** does not end in "-lock". mode: 0 count only, 1 fail the k-th write (EIO,
** nothing written), 2 short-write it (the first half written, then EIO),
** 3 tear it (a random prefix written, then EIO), 4 ENOSPC (nothing written),
** 5 fail the k-th fdatasync/fsync (EIO), 6 fail the k-th ftruncate (EIO).
** Counting starts at lt_fault_arm. Thread safety: counters are atomic; arm
** while no other thread writes.
*/
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static char g_pattern[512];
static int g_mode;
static long g_at;
static unsigned long long g_seed;
static long g_writes, g_syncs, g_truncates, g_fired;

static int Matches(int fd) {
  char link[64], path[4096];
  if (g_pattern[0] == '\0') return 0;
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  if (n >= 5 && strcmp(path + n - 5, "-lock") == 0) return 0;
  return strstr(path, g_pattern) != NULL;
}

static void* Real(const char* name) { return dlsym(RTLD_NEXT, name); }

static unsigned long long Mix(unsigned long long x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static ssize_t Pwrite(ssize_t (*real)(int, const void*, size_t, off_t), int fd, const void* buf,
                      size_t n, off_t off) {
  if (!Matches(fd)) return real(fd, buf, n, off);
  long k = __atomic_add_fetch(&g_writes, 1, __ATOMIC_SEQ_CST);
  if (k != g_at || g_mode < 1 || g_mode > 4) return real(fd, buf, n, off);
  __atomic_add_fetch(&g_fired, 1, __ATOMIC_SEQ_CST);
  if (g_mode == 2 && n > 1) (void)real(fd, buf, n / 2, off);
  if (g_mode == 3 && n > 1) (void)real(fd, buf, Mix(g_seed ^ (unsigned long long)k) % n, off);
  errno = g_mode == 4 ? ENOSPC : EIO;
  return -1;
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  static ssize_t (*real)(int, const void*, size_t, off_t);
  if (!real) real = (ssize_t(*)(int, const void*, size_t, off_t))Real("pwrite");
  return Pwrite(real, fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
  static ssize_t (*real)(int, const void*, size_t, off_t);
  if (!real) real = (ssize_t(*)(int, const void*, size_t, off_t))Real("pwrite64");
  return Pwrite(real, fd, buf, n, off);
}

static int SyncFault(int fd) {
  if (!Matches(fd)) return 0;
  long k = __atomic_add_fetch(&g_syncs, 1, __ATOMIC_SEQ_CST);
  if (g_mode != 5 || k != g_at) return 0;
  __atomic_add_fetch(&g_fired, 1, __ATOMIC_SEQ_CST);
  errno = EIO;
  return -1;
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))Real("fdatasync");
  return SyncFault(fd) ? -1 : real(fd);
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))Real("fsync");
  return SyncFault(fd) ? -1 : real(fd);
}

static int TruncateFault(int fd) {
  if (!Matches(fd)) return 0;
  long k = __atomic_add_fetch(&g_truncates, 1, __ATOMIC_SEQ_CST);
  if (g_mode != 6 || k != g_at) return 0;
  __atomic_add_fetch(&g_fired, 1, __ATOMIC_SEQ_CST);
  errno = EIO;
  return -1;
}

int ftruncate(int fd, off_t len) {
  static int (*real)(int, off_t);
  if (!real) real = (int (*)(int, off_t))Real("ftruncate");
  return TruncateFault(fd) ? -1 : real(fd, len);
}

int ftruncate64(int fd, off_t len) {
  static int (*real)(int, off_t);
  if (!real) real = (int (*)(int, off_t))Real("ftruncate64");
  return TruncateFault(fd) ? -1 : real(fd, len);
}

__attribute__((visibility("default"))) void lt_fault_arm(const char* pattern, int mode, long at,
                                                         unsigned long long seed) {
  snprintf(g_pattern, sizeof g_pattern, "%s", pattern ? pattern : "");
  g_mode = mode;
  g_at = at;
  g_seed = seed;
  __atomic_store_n(&g_writes, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&g_syncs, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&g_truncates, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n(&g_fired, 0, __ATOMIC_SEQ_CST);
}

__attribute__((visibility("default"))) void lt_fault_counts(long* writes, long* syncs,
                                                            long* truncates, long* fired) {
  *writes = __atomic_load_n(&g_writes, __ATOMIC_SEQ_CST);
  *syncs = __atomic_load_n(&g_syncs, __ATOMIC_SEQ_CST);
  *truncates = __atomic_load_n(&g_truncates, __ATOMIC_SEQ_CST);
  *fired = __atomic_load_n(&g_fired, __ATOMIC_SEQ_CST);
}
