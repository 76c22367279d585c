// mfr-agent: runs a batch of compiled scenarios inside one VM boot of a real kernel and reports
// what the kernel did as JSON lines (the kernel lab, src/kernel). Static, no libraries beyond libc.
//
// Input: a program file, one instruction per line (src/kernel/program.ts writes it). Output: one
// JSON object per line on the report device (argv[2], a second serial port). Each scenario's
// processes are fresh fork()ed workers that execute memory operations on command and record every
// SIGBUS they get; the controller (this process) injects errors through hwpoison-inject, reads the
// kernel log from /dev/kmsg and the counters from /proc and /sys after every step.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 4U
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef PR_MCE_KILL
#define PR_MCE_KILL 33
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define MAXP 16       /* processes per scenario */
#define MAXSLOT 64    /* fds, mappings, pins per process */
#define SIGLOG 256    /* signals recorded per process */
#define MAXLINE 4096
#define GIB (1UL << 30)

static FILE *out;     /* the report device */
static int kmsg = -1; /* /dev/kmsg, read after every step */
static long cmd_timeout_ms = 300000;

/* ------------------------------------------------------------------ JSON output */

static char jbuf[1 << 16];
static size_t jlen;

static void jraw(const char *s) {
  size_t n = strlen(s);
  if (jlen + n < sizeof jbuf - 1) { memcpy(jbuf + jlen, s, n); jlen += n; }
}
static void jf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(jbuf + jlen, sizeof jbuf - jlen, fmt, ap);
  va_end(ap);
  if (n > 0 && jlen + (size_t)n < sizeof jbuf) jlen += (size_t)n;
}
static void jstr(const char *s) {
  jraw("\"");
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') jf("\\%c", c);
    else if (c < 0x20) jf("\\u%04x", c);
    else if (jlen < sizeof jbuf - 2) jbuf[jlen++] = (char)c;
  }
  jraw("\"");
}
static void jflush(void) {
  jbuf[jlen] = 0;
  fprintf(out, "%s\n", jbuf);
  fflush(out);
  jlen = 0;
}

/* ------------------------------------------------------------------ small helpers */

static long write_file(const char *path, const char *val) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -errno;
  ssize_t n = write(fd, val, strlen(val));
  long r = n < 0 ? -errno : 0;
  close(fd);
  return r;
}

static int read_file(const char *path, char *buf, size_t len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -errno;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n < 0) return -errno;
  buf[n] = 0;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = 0;
  return (int)n;
}

static long read_long(const char *path) {
  char b[64];
  if (read_file(path, b, sizeof b) < 0) return -1;
  return strtol(b, NULL, 0);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ workers */

struct sigrec { int signo, code, lsb; unsigned long addr; };
struct siglog { volatile unsigned n; struct sigrec r[SIGLOG]; };

struct mapslot { unsigned long base, len, unit; int used; };

struct worker {
  int used, alive, reaped, status;
  pid_t pid;
  int cmd_w, rep_r;
  struct siglog *log;
  unsigned seen;
  struct mapslot maps[MAXSLOT];
  int fdnum[MAXSLOT];
};

static struct worker W[MAXP];

/* --- inside a worker --- */
static struct siglog *my_log;
static sigjmp_buf access_jb;
static volatile sig_atomic_t in_access;
static struct mapslot my_maps[MAXSLOT];
static int my_fds[MAXSLOT];
static int my_rings[MAXSLOT];

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  unsigned i = my_log->n;
  if (i < SIGLOG) {
    my_log->r[i].signo = sig;
    my_log->r[i].code = si->si_code;
    my_log->r[i].lsb = si->si_addr_lsb;
    my_log->r[i].addr = (unsigned long)si->si_addr;
    __sync_synchronize();
    my_log->n = i + 1;
  }
  /* An access re-executes the faulting load/store: leave it. A syscall (madvise) returns its
     value after the handler, so only accesses jump. */
  if (in_access) { in_access = 0; siglongjmp(access_jb, 1); }
}

static int reply_fd;
static void reply(const char *fmt, ...) {
  char b[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b, sizeof b - 1, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if (n > (int)sizeof b - 2) n = sizeof b - 2;
  b[n++] = '\n';
  ssize_t w = write(reply_fd, b, (size_t)n);
  (void)w;
}

/* One load or store; 1 if it raised SIGBUS. `val` gets the byte read. */
static int do_access(volatile unsigned char *p, int write, int *val) {
  if (sigsetjmp(access_jb, 1) == 0) {
    in_access = 1;
    if (write) *p = (unsigned char)(0x5a);
    else *val = *p;
    in_access = 0;
    return 0;
  }
  return 1;
}

static unsigned long unit_of(int kind) { return kind == 3 ? (2UL << 20) : kind == 4 ? GIB : 4096; }

/* mapping kinds: 0 shared file/memfd, 1 anon, 2 anon THP, 3 anon hugetlb 2M, 4 anon hugetlb 1G */
static long w_mmap(int slot, int fslot, unsigned long len, unsigned long off, int kind, int funit) {
  /* 1G-aligned, like the model's addresses, so THP and HugeTLB can map at PMD/PUD level. */
  unsigned long span = len + GIB;
  void *r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) return -errno;
  unsigned long at = ((unsigned long)r + GIB - 1) & ~(GIB - 1);
  munmap(r, span);
  int flags = MAP_FIXED_NOREPLACE, fd = -1;
  if (kind == 0) { flags |= MAP_SHARED; fd = my_fds[fslot]; }
  else {
    flags |= MAP_PRIVATE | MAP_ANONYMOUS;
    if (kind == 3) flags |= MAP_HUGETLB | (21 << MAP_HUGE_SHIFT);
    if (kind == 4) flags |= MAP_HUGETLB | (30 << MAP_HUGE_SHIFT);
  }
  void *p = mmap((void *)at, len, PROT_READ | PROT_WRITE, flags, fd, (off_t)off);
  if (p == MAP_FAILED) return -errno;
  if (kind == 2 || (kind == 0 && funit == 2)) madvise(p, len, MADV_HUGEPAGE);
  my_maps[slot].base = (unsigned long)p;
  my_maps[slot].len = len;
  my_maps[slot].used = 1;
  /* populate touches one byte per fault unit: a memfd's folio size, else the mapping's page size */
  my_maps[slot].unit = kind == 0 ? (funit == 4 ? GIB : funit >= 2 ? (2UL << 20) : 4096) : unit_of(kind);
  return 0;
}

static long pagemap_pfn(unsigned long addr, int *swapped) {
  int fd = open("/proc/self/pagemap", O_RDONLY);
  if (fd < 0) return -errno;
  uint64_t e = 0;
  ssize_t n = pread(fd, &e, 8, (off_t)(addr / 4096 * 8));
  close(fd);
  if (n != 8) return -EIO;
  *swapped = (int)((e >> 62) & 1);
  if (!((e >> 63) & 1)) return -1;
  return (long)(e & ((1ULL << 55) - 1));
}

static int drop_cap(int cap) {
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d)) return -errno;
  d[cap / 32].effective &= ~(1U << (cap % 32));
  d[cap / 32].permitted &= ~(1U << (cap % 32));
  d[cap / 32].inheritable &= ~(1U << (cap % 32));
  if (syscall(SYS_capset, &h, d)) return -errno;
  return 0;
}

static void worker_main(int cmd_r) {
  char line[MAXLINE];
  size_t have = 0;
  for (int i = 0; i < MAXSLOT; i++) my_fds[i] = my_rings[i] = -1;
  for (;;) {
    char *nl;
    while (!(nl = memchr(line, '\n', have))) {
      ssize_t n = read(cmd_r, line + have, sizeof line - 1 - have);
      if (n < 0 && errno == EINTR) continue; /* an action-optional SIGBUS while idle: it was logged */
      if (n <= 0) _exit(0);
      have += (size_t)n;
    }
    *nl = 0;
    char cmd[32] = "";
    unsigned long a[6] = {0};
    char s1[256] = "";
    sscanf(line, "%31s", cmd);
    if (!strcmp(cmd, "memfd")) { /* memfd slot flags size */
      sscanf(line, "%*s %lu %lu %lu", &a[0], &a[1], &a[2]);
      int fd = memfd_create("mfr", (unsigned)a[1]);
      if (fd < 0) reply("{\"ret\":%d}", -errno);
      else if (ftruncate(fd, (off_t)a[2]) < 0) { reply("{\"ret\":%d}", -errno); close(fd); }
      else { my_fds[a[0]] = fd; reply("{\"ret\":0,\"fd\":%d}", fd); }
    } else if (!strcmp(cmd, "open")) { /* open slot path size */
      sscanf(line, "%*s %lu %255s %lu", &a[0], s1, &a[1]);
      int fd = open(s1, O_RDWR | O_CREAT | O_TRUNC, 0600);
      struct statfs sfs;
      if (fd >= 0 && (fstatfs(fd, &sfs) || sfs.f_type != 0xEF53)) { /* EXT4_SUPER_MAGIC */
        close(fd);
        reply("{\"error\":\"the file is not on the disk file system (ext4 on /mnt did not mount)\"}");
        goto next;
      }
      if (fd < 0) reply("{\"ret\":%d}", -errno);
      else {
        unlink(s1);
        if (a[1] && ftruncate(fd, (off_t)a[1]) < 0) { reply("{\"ret\":%d}", -errno); close(fd); }
        else { my_fds[a[0]] = fd; reply("{\"ret\":0,\"fd\":%d}", fd); }
      }
    } else if (!strcmp(cmd, "fdnum")) {
      sscanf(line, "%*s %lu", &a[0]);
      reply("{\"fd\":%d}", my_fds[a[0]]);
    } else if (!strcmp(cmd, "getfd")) { /* getfd slot srcpid srcfd */
      sscanf(line, "%*s %lu %lu %lu", &a[0], &a[1], &a[2]);
      int pfd = (int)syscall(SYS_pidfd_open, (pid_t)a[1], 0);
      int fd = pfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pfd, (int)a[2], 0);
      int e = errno;
      if (pfd >= 0) close(pfd);
      if (fd < 0) reply("{\"ret\":%d}", -e);
      else { my_fds[a[0]] = fd; reply("{\"ret\":0,\"fd\":%d}", fd); }
    } else if (!strcmp(cmd, "mmap")) { /* mmap slot fslot len off kind funit */
      sscanf(line, "%*s %lu %lu %lu %lu %lu %lu", &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]);
      long r = w_mmap((int)a[0], (int)a[1], a[2], a[3], (int)a[4], (int)a[5]);
      reply("{\"ret\":%ld,\"base\":%lu}", r, my_maps[a[0]].base);
    } else if (!strcmp(cmd, "munmap")) {
      sscanf(line, "%*s %lu", &a[0]);
      long r = munmap((void *)my_maps[a[0]].base, my_maps[a[0]].len) ? -errno : 0;
      my_maps[a[0]].used = 0;
      reply("{\"ret\":%ld}", r);
    } else if (!strcmp(cmd, "acc")) { /* acc slot off w */
      sscanf(line, "%*s %lu %lu %lu", &a[0], &a[1], &a[2]);
      if (a[0] >= MAXSLOT || !my_maps[a[0]].used) { reply("{\"error\":\"no such mapping\"}"); goto next; }
      int val = -1;
      int bus = do_access((volatile unsigned char *)(my_maps[a[0]].base + a[1]), (int)a[2], &val);
      if (bus) reply("{\"acc\":\"sigbus\"}");
      else if (a[2]) reply("{\"acc\":\"ok\"}");
      else reply("{\"acc\":\"ok\",\"val\":%d}", val);
    } else if (!strcmp(cmd, "populate")) { /* populate slot off len */
      sscanf(line, "%*s %lu %lu %lu", &a[0], &a[1], &a[2]);
      if (a[0] >= MAXSLOT || !my_maps[a[0]].used) { reply("{\"error\":\"no such mapping\"}"); goto next; }
      unsigned long u = my_maps[a[0]].unit, off;
      int val, bus = 0;
      for (off = a[1]; off < a[1] + a[2]; off += u) {
        bus = do_access((volatile unsigned char *)(my_maps[a[0]].base + off), 1, &val);
        if (bus) break;
      }
      if (bus) reply("{\"acc\":\"sigbus\",\"at\":%lu}", off);
      else reply("{\"acc\":\"ok\"}");
    } else if (!strcmp(cmd, "madv")) { /* madv slot off len advice */
      sscanf(line, "%*s %lu %lu %lu %lu", &a[0], &a[1], &a[2], &a[3]);
      if (a[0] >= MAXSLOT || !my_maps[a[0]].used) { reply("{\"error\":\"no such mapping\"}"); goto next; }
      int sw = 0;
      long pfn = pagemap_pfn(my_maps[a[0]].base + a[1], &sw);
      long r = madvise((void *)(my_maps[a[0]].base + a[1]), a[2], (int)a[3]) ? -errno : 0;
      reply("{\"ret\":%ld,\"pfn\":%ld}", r, pfn);
    } else if (!strcmp(cmd, "pfn") || !strcmp(cmd, "query")) { /* pfn names a page ($0); query only looks */
      sscanf(line, "%*s %lu %lu", &a[0], &a[1]);
      if (a[0] >= MAXSLOT || !my_maps[a[0]].used) { reply("{\"error\":\"no such mapping\"}"); goto next; }
      int sw = 0;
      long pfn = pagemap_pfn(my_maps[a[0]].base + a[1], &sw);
      reply("{\"pfn\":%ld,\"swapped\":%d}", pfn, sw);
    } else if (!strcmp(cmd, "pin")) { /* pin slot mslot off len: io_uring fixed buffer = FOLL_LONGTERM pin */
      sscanf(line, "%*s %lu %lu %lu %lu", &a[0], &a[1], &a[2], &a[3]);
      if (a[1] >= MAXSLOT || !my_maps[a[1]].used) { reply("{\"error\":\"no such mapping\"}"); goto next; }
      struct io_uring_params p;
      memset(&p, 0, sizeof p);
      int rfd = (int)syscall(__NR_io_uring_setup, 4, &p);
      if (rfd < 0) { reply("{\"ret\":%d,\"what\":\"io_uring_setup\"}", -errno); goto next; }
      struct iovec iov = { (void *)(my_maps[a[1]].base + a[2]), a[3] };
      long r = syscall(__NR_io_uring_register, rfd, IORING_REGISTER_BUFFERS, &iov, 1);
      if (r < 0) { r = -errno; close(rfd); }
      else my_rings[a[0]] = rfd;
      reply("{\"ret\":%ld}", r);
    } else if (!strcmp(cmd, "unpin")) {
      sscanf(line, "%*s %lu", &a[0]);
      int rfd = my_rings[a[0]];
      long r = rfd < 0 ? -EBADF : syscall(__NR_io_uring_register, rfd, IORING_UNREGISTER_BUFFERS, NULL, 0);
      if (r < 0) r = -errno;
      if (rfd >= 0) close(rfd);
      my_rings[a[0]] = -1;
      reply("{\"ret\":%ld}", r);
    } else if (!strcmp(cmd, "ftrunc")) {
      sscanf(line, "%*s %lu %lu", &a[0], &a[1]);
      reply("{\"ret\":%d}", ftruncate(my_fds[a[0]], (off_t)a[1]) ? -errno : 0);
    } else if (!strcmp(cmd, "punch")) {
      sscanf(line, "%*s %lu %lu %lu", &a[0], &a[1], &a[2]);
      reply("{\"ret\":%d}", fallocate(my_fds[a[0]], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)a[1], (off_t)a[2]) ? -errno : 0);
    } else if (!strcmp(cmd, "close")) {
      sscanf(line, "%*s %lu", &a[0]);
      int r = close(my_fds[a[0]]) ? -errno : 0;
      my_fds[a[0]] = -1;
      reply("{\"ret\":%d}", r);
    } else if (!strcmp(cmd, "pread") || !strcmp(cmd, "pwrite")) { /* slot off len */
      sscanf(line, "%*s %lu %lu %lu", &a[0], &a[1], &a[2]);
      char *buf = malloc(a[2] ? a[2] : 1);
      ssize_t n;
      if (cmd[1] == 'r') n = pread(my_fds[a[0]], buf, a[2], (off_t)a[1]);
      else { memset(buf, 0x5a, a[2]); n = pwrite(my_fds[a[0]], buf, a[2], (off_t)a[1]); }
      reply("{\"ret\":%ld}", n < 0 ? (long)-errno : (long)n);
      free(buf);
    } else if (!strcmp(cmd, "fsync")) {
      sscanf(line, "%*s %lu", &a[0]);
      reply("{\"ret\":%d}", fsync(my_fds[a[0]]) ? -errno : 0);
    } else if (!strcmp(cmd, "mcekill")) { /* 0 clear, 1 late, 2 early: PR_MCE_KILL_SET's arg3 */
      sscanf(line, "%*s %lu", &a[0]);
      int r = a[0] == 0 ? prctl(PR_MCE_KILL, 0 /* PR_MCE_KILL_CLEAR */, 0, 0, 0)
                        : prctl(PR_MCE_KILL, 1 /* PR_MCE_KILL_SET */, a[0] == 2 ? 1 /* EARLY */ : 0 /* LATE */, 0, 0);
      reply("{\"ret\":%d}", r ? -errno : 0);
    } else if (!strcmp(cmd, "dropcap")) {
      sscanf(line, "%*s %lu", &a[0]);
      reply("{\"ret\":%d}", drop_cap((int)a[0]));
    } else if (!strcmp(cmd, "sync")) { /* answered after any pending signal was handled */
      reply("{}");
    } else if (!strcmp(cmd, "exit")) {
      reply("{\"ret\":0}");
      _exit(0);
    } else {
      reply("{\"error\":\"unknown worker command\"}");
    }
  next:
    have -= (size_t)(nl + 1 - line);
    memmove(line, nl + 1, have);
  }
}

/* --- in the controller --- */

static int spawn(int i) {
  int c[2], r[2];
  if (pipe2(c, O_CLOEXEC) || pipe2(r, O_CLOEXEC)) return -errno;
  struct siglog *log = mmap(NULL, sizeof *log, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (log == MAP_FAILED) return -errno;
  memset(log, 0, sizeof *log);
  pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid == 0) {
    close(c[1]);
    close(r[0]);
    if (kmsg >= 0) close(kmsg);
    my_log = log;
    reply_fd = r[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGBUS, &sa, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    worker_main(c[0]);
    _exit(0);
  }
  close(c[0]);
  close(r[1]);
  memset(&W[i], 0, sizeof W[i]);
  W[i].used = W[i].alive = 1;
  W[i].pid = pid;
  W[i].cmd_w = c[1];
  W[i].rep_r = r[0];
  W[i].log = log;
  return pid;
}

/* The worker is gone: remember how, to report it once (bit 16: not reported yet). */
static void died(int i, int st) {
  W[i].reaped = 1;
  W[i].alive = 0;
  W[i].status = st | 0x10000;
}

static void reap(int i) {
  if (!W[i].used || W[i].reaped) return;
  int st;
  if (waitpid(W[i].pid, &st, WNOHANG) == W[i].pid) died(i, st);
}

/* Sends one command to worker i and copies its reply (a JSON object) into rep. 0, or -1 if the
   worker died or did not answer in time (then it is killed). */
static int ask(int i, const char *cmd, char *rep, size_t replen) {
  rep[0] = 0;
  if (!W[i].used || !W[i].alive) return -1;
  char line[MAXLINE];
  int n = snprintf(line, sizeof line, "%s\n", cmd);
  if (write(W[i].cmd_w, line, (size_t)n) != n) { reap(i); return -1; }
  size_t have = 0;
  double deadline = now() + cmd_timeout_ms / 1000.0;
  for (;;) {
    struct pollfd pf = { W[i].rep_r, POLLIN, 0 };
    int left = (int)((deadline - now()) * 1000);
    if (left <= 0) {
      int st = 0;
      kill(W[i].pid, SIGKILL);
      waitpid(W[i].pid, &st, 0);
      died(i, st);
      snprintf(rep, replen, "{\"timeout\":true}");
      return -1;
    }
    int pr = poll(&pf, 1, left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    ssize_t m = read(W[i].rep_r, rep + have, replen - 1 - have);
    if (m <= 0) {
      /* The worker died (SIGKILL, or an unhandled signal) during the command. */
      int st = 0;
      waitpid(W[i].pid, &st, 0);
      died(i, st);
      rep[0] = 0;
      return -1;
    }
    have += (size_t)m;
    rep[have] = 0;
    char *nl = strchr(rep, '\n');
    if (nl) { *nl = 0; return 0; }
  }
}

/* ------------------------------------------------------------------ finding pages */

static int kpageflags = -1, kpagecount = -1;
static uint64_t kpf(long pfn) {
  uint64_t v = 0;
  if (pread(kpageflags, &v, 8, pfn * 8) != 8) return ~0ULL;
  return v;
}
static uint64_t kpc(long pfn) {
  uint64_t v = 0;
  if (pread(kpagecount, &v, 8, pfn * 8) != 8) return ~0ULL;
  return v;
}
#define KPF_COMPOUND_HEAD 15
#define KPF_HUGE 17
#define KPF_BUDDY 10
#define KPF_RESERVED 32
#define KPF_NOPAGE 20
#define KPF_HWPOISON 19

/* A pfn nobody uses: kind 0 a page inside a free buddy block of order >= 9 (page n of it),
   1/2 page n of a free 2M/1G HugeTLB folio, 3 the n-th reserved page. -1 if none. */
static long find_pfn(int kind, long n) {
  if (kpageflags < 0) kpageflags = open("/proc/kpageflags", O_RDONLY);
  if (kpagecount < 0) kpagecount = open("/proc/kpagecount", O_RDONLY);
  long max = sysconf(_SC_PHYS_PAGES) * 2;
  long seen = 0;
  for (long pfn = 0; pfn < max; pfn++) {
    uint64_t f = kpf(pfn);
    if (f == ~0ULL) break;
    if (kind == 3) {
      if ((f >> KPF_RESERVED) & 1) { if (seen++ == n) return pfn; }
      continue;
    }
    if (kind == 0 && ((f >> KPF_BUDDY) & 1) && pfn % 512 == 0) {
      /* 512 pages, none with a flag but PG_buddy (kernels differ on whether tails show it) and none
         referenced: a free block of order >= 9. */
      long j;
      for (j = 0; j < 512; j++) {
        uint64_t g = kpf(pfn + j);
        if ((g & ~(1ULL << KPF_BUDDY)) != 0 || kpc(pfn + j) != 0) break;
      }
      if (j == 512 && n < 512) return pfn + n;
      continue;
    }
    if ((kind == 1 || kind == 2) && ((f >> KPF_HUGE) & 1) && ((f >> KPF_COMPOUND_HEAD) & 1) && !((f >> KPF_HWPOISON) & 1) && kpc(pfn) == 0) {
      long pages = kind == 1 ? 512 : 262144;
      long j = 1;
      while (j < pages + 1 && ((kpf(pfn + j) >> KPF_HUGE) & 1) && !((kpf(pfn + j) >> KPF_COMPOUND_HEAD) & 1)) j++;
      if (j == pages && n < pages) return pfn + n;
      pfn += j - 1;
    }
  }
  return -1;
}

/* ------------------------------------------------------------------ kernel log and counters */

static void kmsg_skip(void) {
  if (kmsg >= 0) lseek(kmsg, 0, SEEK_END);
}

/* Appends "k":[…] with every new log record of interest (memory failure, soft offline, unpoison,
   injection, oops) since the last call. */
static void kmsg_collect(void) {
  char rec[2048];
  int first = 1;
  jraw(",\"k\":[");
  for (;;) {
    ssize_t n = read(kmsg, rec, sizeof rec - 1);
    if (n < 0 && errno == EPIPE) continue; /* records were overwritten */
    if (n <= 0) break;
    rec[n] = 0;
    char *msg = strchr(rec, ';');
    if (!msg) continue;
    msg++;
    char *nl = strchr(msg, '\n');
    if (nl) *nl = 0;
    if (strstr(msg, "Memory failure") || strstr(msg, "Soft offline") || strstr(msg, "Unpoison") ||
        strstr(msg, "Injecting memory failure") || strstr(msg, "MCE") || strstr(msg, "BUG") ||
        strstr(msg, "WARNING") || strstr(msg, "hwpoison") || strstr(msg, "HugeTLB")) {
      if (!first) jraw(",");
      first = 0;
      jstr(msg);
    }
  }
  jraw("]");
}

static void counters(void) {
  char b[8192];
  long hc = -1;
  if (read_file("/proc/meminfo", b, sizeof b) > 0) {
    char *p = strstr(b, "HardwareCorrupted:");
    if (p) hc = strtol(p + 18, NULL, 10);
  }
  jf(",\"c\":{\"hc\":%ld", hc);
  static const char *nm[] = { "total", "ignored", "failed", "delayed", "recovered" };
  for (int i = 0; i < 5; i++) {
    char path[128];
    snprintf(path, sizeof path, "/sys/devices/system/node/node0/memory_failure/%s", nm[i]);
    jf(",\"%s\":%ld", nm[i], read_long(path));
  }
  jf(",\"h2\":[%ld,%ld],\"h1\":[%ld,%ld]}",
     read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"),
     read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"),
     read_long("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"),
     read_long("/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages"));
}

/* Signals each worker got since the last call, and workers that died. */
static void signals_and_deaths(void) {
  jraw(",\"s\":[");
  int first = 1;
  for (int i = 0; i < MAXP; i++) {
    if (!W[i].used) continue;
    unsigned n = W[i].log->n;
    for (unsigned k = W[i].seen; k < n && k < SIGLOG; k++) {
      struct sigrec *r = &W[i].log->r[k];
      int slot = -1;
      unsigned long off = r->addr;
      for (int m = 0; m < MAXSLOT; m++) {
        if (W[i].maps[m].used && r->addr >= W[i].maps[m].base && r->addr < W[i].maps[m].base + W[i].maps[m].len) {
          slot = m;
          off = r->addr - W[i].maps[m].base;
        }
      }
      if (!first) jraw(",");
      first = 0;
      jf("{\"p\":%d,\"sig\":%d,\"code\":%d,\"lsb\":%d,\"m\":%d,\"off\":%lu}", i, r->signo, r->code, r->lsb, slot, off);
    }
    W[i].seen = n;
  }
  jraw("],\"d\":[");
  first = 1;
  for (int i = 0; i < MAXP; i++) {
    if (!W[i].used) continue;
    reap(i);
    if (W[i].reaped && (W[i].status & 0x10000)) {
      int st = W[i].status & 0xffff;
      if (!first) jraw(",");
      first = 0;
      jf("{\"p\":%d,\"sig\":%d,\"exit\":%d}", i, WIFSIGNALED(st) ? WTERMSIG(st) : 0, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
      W[i].status &= 0xffff;
    }
  }
  jraw("]");
}

/* ------------------------------------------------------------------ the program */

struct saved { char path[160]; char val[160]; };
static struct saved saved[32];
static int nsaved;
static long vars[16];

static long pfnarg(const char *s) {
  if (s[0] == '$') return vars[atoi(s + 1) & 15];
  return strtol(s, NULL, 0);
}

static void end_scenario(void) {
  for (int i = 0; i < MAXP; i++) {
    if (!W[i].used) continue;
    if (!W[i].reaped) { kill(W[i].pid, SIGKILL); waitpid(W[i].pid, NULL, 0); }
    close(W[i].cmd_w);
    close(W[i].rep_r);
    munmap(W[i].log, sizeof *W[i].log);
    W[i].used = 0;
  }
  for (int k = nsaved - 1; k >= 0; k--) write_file(saved[k].path, saved[k].val);
  nsaved = 0;
}

static int load_module(const char *path, const char *params) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  long r = syscall(SYS_finit_module, fd, params, 0);
  int e = errno;
  close(fd);
  return r ? -e : 0;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: mfr-agent PROGRAM REPORT-DEVICE\n"); return 2; }
  FILE *prog = fopen(argv[1], "r");
  out = fopen(argv[2], "w");
  if (!prog || !out) { fprintf(stderr, "mfr-agent: cannot open %s or %s\n", argv[1], argv[2]); return 2; }
  kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
  signal(SIGPIPE, SIG_IGN);
  char line[MAXLINE], rep[MAXLINE];
  int in_step = 0;
  double t0 = now(), tstep = 0;
  while (fgets(line, sizeof line, prog)) {
    line[strcspn(line, "\n")] = 0;
    char op[32] = "";
    if (sscanf(line, "%31s", op) != 1 || op[0] == '#') continue;
    char *rest = line + strlen(op);
    while (*rest == ' ') rest++;
    if (!strcmp(op, "HELLO")) {
      char rel[128] = "";
      read_file("/proc/sys/kernel/osrelease", rel, sizeof rel);
      jf("{\"t\":\"hello\",\"release\":"); jstr(rel);
      jf(",\"uptime\":%ld", read_long("/proc/uptime"));
      jf(",\"nodeCounters\":%d", access("/sys/devices/system/node/node0/memory_failure/total", R_OK) == 0);
      jf(",\"corruptPfn\":%d", access("/sys/kernel/debug/hwpoison/corrupt-pfn", W_OK) == 0);
      jf(",\"disk\":%d}", access("/mnt/lost+found", F_OK) == 0);
      jflush();
    } else if (!strcmp(op, "SH")) { /* SH command: a busybox shell line (making the disk file system) */
      int st = system(rest);
      jf("{\"t\":\"sh\",\"cmd\":"); jstr(rest); jf(",\"status\":%d}", WIFEXITED(st) ? WEXITSTATUS(st) : -1); jflush();
    } else if (!strcmp(op, "RUN")) { /* RUN command: a program's output and exit status (the kernel's own selftests) */
      char cmd[600];
      snprintf(cmd, sizeof cmd, "%s 2>&1", rest);
      FILE *p = popen(cmd, "r");
      static char outbuf[40000];
      size_t n = 0;
      if (p) {
        size_t m;
        while ((m = fread(outbuf + n, 1, sizeof outbuf - 1 - n, p)) > 0) n += m;
        char drain[4096];
        while (fread(drain, 1, sizeof drain, p) > 0) { /* output past the cap is dropped */ }
      }
      outbuf[n] = 0;
      int st = p ? pclose(p) : -1;
      jf("{\"t\":\"run\",\"cmd\":"); jstr(rest);
      jf(",\"status\":%d,\"output\":", st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1); jstr(outbuf); jraw("}"); jflush();
    } else if (!strcmp(op, "TIMEOUT")) {
      cmd_timeout_ms = strtol(rest, NULL, 10);
    } else if (!strcmp(op, "MODULE")) { /* MODULE path [params] */
      char path[256] = "", params[256] = "";
      sscanf(rest, "%255s %255[^\n]", path, params);
      int r = load_module(path, params);
      jf("{\"t\":\"module\",\"path\":"); jstr(path); jf(",\"ret\":%d}", r); jflush();
    } else if (!strcmp(op, "SCEN")) {
      kmsg_skip();
      jf("{\"t\":\"scen\",\"id\":"); jstr(rest); jraw("}"); jflush();
      for (int v = 0; v < 16; v++) vars[v] = -1; /* no page named yet: INJECT $0 refuses */
    } else if (!strcmp(op, "SET")) { /* SET path value: restored at END */
      char path[160] = "", val[160] = "";
      sscanf(rest, "%159s %159[^\n]", path, val);
      if (nsaved < 32) {
        snprintf(saved[nsaved].path, sizeof saved[nsaved].path, "%s", path);
        if (read_file(path, saved[nsaved].val, sizeof saved[nsaved].val) >= 0) {
          /* "[always] madvise never" style files: keep the bracketed choice */
          char *lb = strchr(saved[nsaved].val, '['), *rb = lb ? strchr(lb, ']') : NULL;
          if (lb && rb) { *rb = 0; memmove(saved[nsaved].val, lb + 1, strlen(lb + 1) + 1); }
          nsaved++;
        }
      }
      long r = write_file(path, val);
      char now_val[160] = "";
      read_file(path, now_val, sizeof now_val);
      jf("{\"t\":\"set\",\"path\":"); jstr(path); jf(",\"ret\":%ld,\"value\":", r); jstr(now_val); jraw("}"); jflush();
    } else if (!strcmp(op, "STEP")) {
      jf("{\"t\":\"begin\",\"i\":%ld}", strtol(rest, NULL, 10)); jflush();
      /* The step may panic the kernel: what was reported so far must have left the serial port. */
      tcdrain(fileno(out));
      kmsg_collect(); /* drop records from before the step (discard the JSON) */
      jlen = 0;
      jf("{\"t\":\"step\",\"i\":%ld,\"r\":[", strtol(rest, NULL, 10));
      in_step = 1;
      tstep = now();
    } else if (!strcmp(op, "DONE")) {
      /* An action-optional SIGBUS to another worker is delivered when that worker next runs:
         a round trip to each live worker makes sure it has been handled and logged. */
      char tmp[MAXLINE];
      for (int i = 0; i < MAXP; i++) if (W[i].used && W[i].alive) ask(i, "sync", tmp, sizeof tmp);
      jraw("]");
      kmsg_collect();
      signals_and_deaths();
      counters();
      jf(",\"ms\":%ld}", (long)((now() - tstep) * 1000));
      jflush();
      in_step = 0;
    } else if (!strcmp(op, "END")) {
      end_scenario();
      jf("{\"t\":\"end\"}"); jflush();
    } else if (!strcmp(op, "POOL")) { /* POOL kB free: keep in-use (leaked) pages, make `free` pages free */
      long kbs = 0, want = 0;
      sscanf(rest, "%ld %ld", &kbs, &want);
      char nrp[128], frp[128], val[32];
      snprintf(nrp, sizeof nrp, "/sys/kernel/mm/hugepages/hugepages-%ldkB/nr_hugepages", kbs);
      snprintf(frp, sizeof frp, "/sys/kernel/mm/hugepages/hugepages-%ldkB/free_hugepages", kbs);
      long nr0 = read_long(nrp), fr0 = read_long(frp);
      snprintf(val, sizeof val, "%ld", nr0 - fr0 + want);
      long r = nr0 < 0 ? -ENOENT : write_file(nrp, val);
      jf("{\"t\":\"pool\",\"kb\":%ld,\"want\":%ld,\"ret\":%ld,\"before\":[%ld,%ld],\"after\":[%ld,%ld]}", kbs, want, r, nr0, fr0, read_long(nrp), read_long(frp));
      jflush();
    } else if (!strcmp(op, "BASE")) { /* counters at the start of a scenario */
      jf("{\"t\":\"base\""); counters(); jraw("}"); jflush();
    } else if (in_step) {
      /* instructions inside a step: each adds one element to "r" */
      if (jbuf[jlen - 1] != '[') jraw(",");
      if (!strcmp(op, "SPAWN")) {
        int i = atoi(rest);
        jf("{\"spawn\":%d}", spawn(i));
      } else if (!strcmp(op, "P")) { /* P i command… */
        int i = atoi(rest);
        char *cmd = strchr(rest, ' ');
        cmd = cmd ? cmd + 1 : "";
        int r = ask(i, cmd, rep, sizeof rep);
        if (r == 0) {
          jraw(rep);
          /* the controller keeps each worker's mapping table and fd numbers */
          unsigned long slot, base, fslot;
          if (sscanf(cmd, "mmap %lu", &slot) == 1 && slot < MAXSLOT) {
            char *b = strstr(rep, "\"base\":");
            base = b ? strtoul(b + 7, NULL, 10) : 0;
            unsigned long a[5];
            sscanf(cmd, "mmap %lu %lu %lu", &a[0], &a[1], &a[2]);
            if (strstr(rep, "\"ret\":0")) { W[i].maps[slot].base = base; W[i].maps[slot].len = a[2]; W[i].maps[slot].used = 1; }
          } else if (sscanf(cmd, "munmap %lu", &slot) == 1 && slot < MAXSLOT) {
            W[i].maps[slot].used = 0;
          }
          if ((sscanf(cmd, "memfd %lu", &fslot) == 1 || sscanf(cmd, "open %lu", &fslot) == 1 || sscanf(cmd, "getfd %lu", &fslot) == 1) && fslot < MAXSLOT) {
            char *f = strstr(rep, "\"fd\":");
            if (f) W[i].fdnum[fslot] = atoi(f + 5);
          }
          if (!strcmp(cmd, "exit")) { int st = 0; waitpid(W[i].pid, &st, 0); died(i, st); }
          /* a page named by pagemap (pfn) or by madvise becomes $0 for INJECT/UNPOISON/SOFTOFF */
          char *pf = strstr(rep, "\"pfn\":");
          if (pf && (!strncmp(cmd, "pfn ", 4) || !strncmp(cmd, "madv ", 5))) vars[0] = strtol(pf + 6, NULL, 10);
        } else {
          jf("{\"dead\":%d%s}", i, strstr(rep, "timeout") ? ",\"timeout\":true" : "");
        }
      } else if (!strcmp(op, "GETFD")) { /* GETFD dst dslot src sslot */
        int d, ds, s, ss;
        sscanf(rest, "%d %d %d %d", &d, &ds, &s, &ss);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "getfd %d %d %d", ds, W[s].pid, W[s].fdnum[ss]);
        if (ask(d, cmd, rep, sizeof rep) == 0) { jraw(rep); char *f = strstr(rep, "\"fd\":"); if (f) W[d].fdnum[ds] = atoi(f + 5); }
        else jf("{\"dead\":%d}", d);
      } else if (!strcmp(op, "FIND")) { /* FIND var kind n */
        int v, kind;
        long n;
        sscanf(rest, "%d %d %ld", &v, &kind, &n);
        vars[v & 15] = find_pfn(kind, n);
        vars[0] = vars[v & 15];
        jf("{\"pfn\":%ld}", vars[v & 15]);
      } else if (!strcmp(op, "INJECT") || !strcmp(op, "UNPOISON") || !strcmp(op, "SOFTOFF") || !strcmp(op, "HARDOFF")) {
        long pfn = pfnarg(rest);
        char val[64];
        const char *path = op[0] == 'I' ? "/sys/kernel/debug/hwpoison/corrupt-pfn"
                         : op[0] == 'U' ? "/sys/kernel/debug/hwpoison/unpoison-pfn"
                         : op[0] == 'S' ? "/sys/devices/system/memory/soft_offline_page"
                                        : "/sys/devices/system/memory/hard_offline_page";
        if (op[0] == 'S' || op[0] == 'H') snprintf(val, sizeof val, "0x%lx", (unsigned long)pfn << 12);
        else snprintf(val, sizeof val, "%ld", pfn);
        vars[0] = pfn;
        if (pfn < 0) jf("{\"error\":\"no page named\"}");
        else jf("{\"ret\":%ld,\"pfn\":%ld}", write_file(path, val), pfn);
      } else if (!strcmp(op, "WRITE")) { /* WRITE path value (inside a step: a sysctl step) */
        char path[160] = "", val[160] = "";
        sscanf(rest, "%159s %159[^\n]", path, val);
        jf("{\"ret\":%ld}", write_file(path, val));
      } else if (!strcmp(op, "SYNC")) {
        sync();
        jf("{\"ret\":0}");
      } else if (!strcmp(op, "DROPCACHES")) {
        jf("{\"ret\":%ld}", write_file("/proc/sys/vm/drop_caches", "3"));
      } else {
        jf("{\"error\":"); jstr(op); jraw("}");
      }
    }
  }
  end_scenario();
  jf("{\"t\":\"fin\",\"ms\":%ld}", (long)((now() - t0) * 1000));
  jflush();
  return 0;
}
