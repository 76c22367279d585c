// Exercise 5.3 — Predict the dispatch: who gets which signal, at which address (Chapter 5).
// Predict, without running the model, what memory_failure() does with a poisoned PFN of a GPU's
// device memory; the grader builds each seeded machine with the library's nvgrace-gpu device and
// runs memoryFailurePfn() on it.
// Reference solution: the student's file is generated from this one (see src/grader/stubs.ts). // reference-only
import { EBUSY, PAGE_SHIFT, VFIO_PCI_OFFSET_SHIFT, USEMEM_REGION_INDEX, RESMEM_REGION_INDEX } from "../../../src/index.js";

/** A device memory region: base physical address and length, in bytes (page aligned). */
export interface Region {
  memphys: number;
  memlength: number;
}

/** One mmap of the GPU's device file by a process. */
export interface Mapping {
  pid: number;
  region: "usemem" | "resmem";
  /** Byte offset in the region where the mapping starts, and its length (page aligned). */
  offset: number;
  length: number;
  /** User address of the mapping's first byte. */
  addr: number;
}

export interface DispatchScenario {
  /** Bytes of system RAM: PFNs below ramBytes / 4096 have a struct page (never the case here). */
  ramBytes: number;
  usemem: Region;
  resmem: Region | null;
  /** The device is open, so nvgrace-gpu registered usemem (and resmem) with the MM. */
  open: boolean;
  /** Every mapping of the device file, in process order (for_each_process visits pids in this order). */
  mappings: Mapping[];
  /** Processes that chose early kill (PR_MCE_KILL_EARLY); the others are late kill (the default). */
  earlyKill: number[];
  /** Physical address of the poisoned byte (above RAM). */
  phys: number;
  /** The task that consumed the error (its pid), or null: firmware found it and a kworker runs memory_failure(). */
  current: number | null;
  /** The kernel before the December 2025 fixup: the PFN itself is used as the page offset. */
  pgoffFromPfn: boolean;
}

/** One signal: SIGBUS with its si_code and si_addr (si_addr_lsb is PAGE_SHIFT), or SIGKILL (addr null). */
export interface Signal {
  pid: number;
  kind: "BUS_MCEERR_AR" | "BUS_MCEERR_AO" | "SIGKILL";
  addr: number | null;
}

export interface DispatchPrediction {
  /** memory_failure()'s return value. */
  ret: number;
  /** Every signal sent while it runs, in any order (one per VMA that is collected). */
  signals: Signal[];
}

/**
 * What memory_failure() returns and which signals it sends. Think about: which registered range
 * holds the PFN (if any); which processes task_early_kill() lets through; for each of their VMAs,
 * which page offset the kernel uses (the driver's answer, or the PFN before the fix) and what
 * vma_address() makes of it; and who counts as current.
 */
export function predictDispatch(s: DispatchScenario): DispatchPrediction {
  // BEGIN SOLUTION: find the registered region, then go process by process and VMA by VMA
  const pfn = Math.floor(s.phys / 4096);
  const regionOf = (name: "usemem" | "resmem") => (name === "usemem" ? s.usemem : s.resmem);
  const holds = (r: Region | null) => r !== null && pfn >= r.memphys / 4096 && pfn < (r.memphys + r.memlength) / 4096;
  // memory_failure_pfn(): interval_tree_iter_first() over the registered spaces.
  if (!s.open || !(holds(s.usemem) || holds(s.resmem))) return { ret: -EBUSY, signals: [] };
  const perIndex = 2 ** (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT);
  const pids: number[] = [];
  for (const m of s.mappings) if (!pids.includes(m.pid)) pids.push(m.pid);
  const signals: Signal[] = [];
  for (const pid of pids) {
    // task_early_kill(tsk, force_early): the current task, or a process that chose early kill.
    if (pid !== s.current && !s.earlyKill.includes(pid)) continue;
    for (const m of s.mappings) {
      if (m.pid !== pid) continue;
      const index = m.region === "usemem" ? USEMEM_REGION_INDEX : RESMEM_REGION_INDEX;
      const vmPgoff = index * perIndex + m.offset / 4096;
      const pages = m.length / 4096;
      let pgoff: number;
      if (s.pgoffFromPfn) {
        // v4/v5 as merged: only VMAs whose file range holds the PFN read as a page offset.
        if (pfn < vmPgoff || pfn >= vmPgoff + pages) continue;
        pgoff = pfn;
      } else {
        // nvgrace_gpu_pfn_to_vma_pgoff(): the PFN must be in this VMA's region, not before the VMA.
        const r = regionOf(m.region) as Region;
        const first = r.memphys / 4096;
        if (pfn < first || pfn >= first + r.memlength / 4096) continue;
        if (pfn - first < m.offset / 4096) continue;
        pgoff = vmPgoff + (pfn - first - m.offset / 4096);
      }
      // vma_address(vma, pgoff, 1): -EFAULT past the VMA's end, and kill_procs() sends SIGKILL.
      if (pgoff - vmPgoff >= pages) {
        signals.push({ pid, kind: "SIGKILL", addr: null });
        continue;
      }
      const addr = m.addr + (pgoff - vmPgoff) * 4096;
      // flags |= MF_ACTION_REQUIRED: kill_proc() gives AR to the current task, AO to the others.
      signals.push({ pid, kind: pid === s.current ? "BUS_MCEERR_AR" : "BUS_MCEERR_AO", addr });
    }
  }
  return { ret: 0, signals };
  // END SOLUTION
}
