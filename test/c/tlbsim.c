/*
 * C reference of the MFR Lab TLB engine (src/tlb/lru-tlb.ts, src/tlb/hierarchy.ts,
 * src/workload/run.ts). Same structures, same set index, tag and true-LRU victim choice,
 * so the same trace gives identical counts. Built with the system C compiler at test and
 * bench time.
 *
 *   tlbsim run L1_4K_E L1_4K_W L1_2M_E L1_2M_W L1_1G_E L1_1G_W STLB_E STLB_W STLB_SIZES_MASK \
 *          REGIONS_FILE TRACE_FILE REPEAT
 *     (entries 0 = no such structure; mask bit 0/1/2 = STLB holds 4K/2M/1G)
 *     REGIONS_FILE: one byte per 2M region (0 = 4K, 1 = 2M, 2 = 1G); TRACE_FILE: uint32 LE 4K page numbers.
 *     Prints one JSON object with the counters and the seconds spent in the access loop.
 *   tlbsim rng SEED N        prints N outputs of mulberry32 (src/core/rng.ts), one per line.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  uint32_t entries, ways, sets;
  int64_t set_mask; /* sets - 1 when sets is a power of two, else -1 (as LruTlb.setMask) */
  int32_t *slots;   /* way i: tag (pn * 4 + code, -1 when empty) at slots[2i], LRU stamp at slots[2i+1] (as in TS) */
  int32_t clock;
  uint64_t hits, misses; /* per-structure counters, as LruTlb.hits / LruTlb.misses */
} lru_tlb;

#define STAMP_LIMIT 0x7fffffff
#define STAMP_SHIFT 0x40000000

static int lru_init(lru_tlb *t, uint32_t entries, uint32_t ways) {
  memset(t, 0, sizeof *t);
  if (entries == 0) return 0;
  t->entries = entries;
  t->ways = ways;
  t->sets = entries / ways;
  t->set_mask = (t->sets & (t->sets - 1)) == 0 ? (int64_t)t->sets - 1 : -1;
  t->slots = calloc(2 * (size_t)entries, sizeof(int32_t));
  if (!t->slots) return -1;
  for (uint32_t i = 0; i < entries; i++) t->slots[2 * i] = -1;
  return 0;
}

/* Mirrors LruTlb.access(): hit → refresh stamp; miss → fill the first least-recently-used way. */
static int lru_access(lru_tlb *t, uint32_t pn, uint32_t code) {
  int32_t tag = (int32_t)((pn << 2) | code);
  int32_t *a = t->slots;
  uint32_t base = (t->set_mask >= 0 ? (pn & (uint32_t)t->set_mask) : pn % t->sets) * t->ways * 2;
  int32_t stamp = ++t->clock;
  if (stamp == STAMP_LIMIT) { /* same renormalisation as LruTlb.renormalize() */
    for (uint32_t i = 1; i < 2 * t->entries; i += 2) a[i] = a[i] > STAMP_SHIFT ? a[i] - STAMP_SHIFT : 0;
    stamp = t->clock = STAMP_LIMIT - STAMP_SHIFT;
  }
  uint32_t victim = base;
  int32_t oldest = a[base + 1];
  for (uint32_t i = base, end = base + 2 * t->ways; i < end; i += 2) {
    if (a[i] == tag) {
      a[i + 1] = stamp;
      t->hits++;
      return 1;
    }
    int32_t st = a[i + 1];
    if (st < oldest) {
      oldest = st;
      victim = i;
    }
  }
  a[victim] = tag;
  a[victim + 1] = stamp;
  t->misses++;
  return 0;
}

static void *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *buf = malloc(n > 0 ? (size_t)n : 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(2); }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static uint32_t mulberry32(uint32_t *state) {
  *state += 0x6d2b79f5u;
  uint32_t t = *state;
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return t ^ (t >> 14);
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "rng") == 0) {
    uint32_t s = (uint32_t)strtoul(argv[2], NULL, 10);
    long n = strtol(argv[3], NULL, 10);
    for (long i = 0; i < n; i++) printf("%u\n", mulberry32(&s));
    return 0;
  }
  if (argc != 14 || strcmp(argv[1], "run") != 0) {
    fprintf(stderr, "usage: tlbsim run L1_4K_E L1_4K_W L1_2M_E L1_2M_W L1_1G_E L1_1G_W STLB_E STLB_W MASK REGIONS TRACE REPEAT\n"
                    "       tlbsim rng SEED N\n");
    return 2;
  }
  lru_tlb l1[3], stlb;
  for (int s = 0; s < 3; s++)
    if (lru_init(&l1[s], (uint32_t)atoi(argv[2 + 2 * s]), (uint32_t)atoi(argv[3 + 2 * s]))) return 3;
  if (lru_init(&stlb, (uint32_t)atoi(argv[8]), (uint32_t)atoi(argv[9]))) return 3;
  uint32_t mask = (uint32_t)atoi(argv[10]);
  uint32_t l1_mask = 0; /* bit c: an L1 for size code c exists (TlbHierarchy.l1Mask) */
  for (uint32_t s = 0; s < 3; s++) if (l1[s].entries) l1_mask |= 1u << s;
  size_t nregions, tbytes;
  uint8_t *regions = read_file(argv[11], &nregions);
  uint32_t *trace = read_file(argv[12], &tbytes);
  size_t n = tbytes / 4;
  long repeat = atol(argv[13]);
  static const uint32_t shift[3] = {0, 9, 18};
  uint64_t accesses = 0, l1_hits = 0, stlb_hits = 0, walks = 0, by_size[3] = {0, 0, 0};

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long r = 0; r < repeat; r++) {
    for (size_t i = 0; i < n; i++) {
      uint32_t vpn = trace[i];
      uint32_t code = regions[vpn >> 9];
      uint32_t pn = vpn >> shift[code];
      accesses++;
      if (((l1_mask >> code) & 1u) && lru_access(&l1[code], pn, code)) { l1_hits++; continue; }
      if (((mask >> code) & 1u) && lru_access(&stlb, pn, code)) { stlb_hits++; continue; }
      walks++;
      by_size[code]++;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  printf("{\"accesses\":%llu,\"l1Hits\":%llu,\"stlbHits\":%llu,\"walks\":%llu,\"walksBySize\":[%llu,%llu,%llu],\"seconds\":%.6f}\n",
         (unsigned long long)accesses, (unsigned long long)l1_hits, (unsigned long long)stlb_hits,
         (unsigned long long)walks, (unsigned long long)by_size[0], (unsigned long long)by_size[1],
         (unsigned long long)by_size[2], secs);
  return 0;
}
