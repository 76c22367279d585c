import { checkInt, ParameterError } from "../core/errors.js";
import { PAGE_SHIFT } from "../core/units.js";
import { EBUSY, EFAULT, ENXIO, MF_ACTION_REQUIRED, MF_MUST_KILL } from "../mfr/constants.js";
import { DEFAULT_KERNEL_VERSION, hasChange, type KernelVersion } from "../mfr/kernel-version.js";
import { vmaAddressPgoff, vmaPages, type PfnAddressSpace, type PfnSpaceTree, type PfnVma } from "./pfn-address-space.js";

/**
 * memory_failure() for a PFN without struct page, as mm/memory-failure.c does it after Ankit
 * Agrawal's series (v6.19): memory_failure_pfn(), collect_procs_pfn(), kill_procs(), checked in
 * the 7.3.4 tree (absent from 6.12.117). The pre-fix behaviour was read in torvalds/linux at
 * 2ec41967189c (v4 as merged: pgoff taken from the PFN), the fix in
 * "[PATCH v2 1/3] mm: fixup pfnmap memory failure handling to use pgoff" (11 Dec 2025, merged
 * as e6dbcb7c0e7b, in v6.19-rc4: the driver's pfn_to_vma_pgoff() gives the pgoff).
 */

export interface PfnSystem {
  tree: PfnSpaceTree;
  /** Every VM_PFNMAP VMA of every process (the i_mmap trees are derived from vma.mapping). */
  vmas: PfnVma[];
  /** Processes alive, in for_each_process() order. */
  pids: number[];
  /** First PFN past system RAM: below it pfn_valid() is true and this path is not taken. */
  ramFrames: number;
  /** Reproduce the v4 bug (pgoff taken from the PFN), fixed in Dec 2025. */
  pgoffFromPfn?: boolean;
  /** The kernel modelled: "7.3" (default) has Ankit's series, "6.12" does not (KERNEL_CHANGES["pfn-without-struct-page"]). */
  kernel?: KernelVersion;
  /** Overrides the kernel: true = with Ankit's series (v6.19+); false = the old "memory outside kernel control". */
  pfnDispatch?: boolean;
  /** Processes that chose PR_MCE_KILL_EARLY (PF_MCE_PROCESS | PF_MCE_EARLY). */
  earlyKill?: number[];
  /** Processes that chose PR_MCE_KILL_LATE (PF_MCE_PROCESS without PF_MCE_EARLY). */
  lateKill?: number[];
  /** vm.memory_failure_early_kill for processes that chose neither (kernel default 0). */
  sysctlEarlyKill?: boolean;
}

export interface PfnKill {
  pid: number;
  /** si_addr. */
  addr: number;
  code: "BUS_MCEERR_AR" | "BUS_MCEERR_AO";
  /** si_addr_lsb: always PAGE_SHIFT on this path (add_to_kill_pgoff sets size_shift = PAGE_SHIFT). */
  lsb: number;
}

/** One call the kernel made into the driver's pfn_to_vma_pgoff() (the driver also learns of the PFN). */
export interface PfnDriverCall {
  pid: number;
  vmaStart: number;
  result: { pgoff: number } | { err: number };
}

/** Which branch of memory_failure() the PFN took. */
export type PfnPath =
  | "memory_failure_pfn"
  | "struct-page"
  | "outside-kernel-control"
  | "ghes-dropped";

export interface PfnFailureResult {
  /**
   * memory_failure()'s return: 0 (MF_RECOVERED), -EBUSY (MF_IGNORED: no registered space),
   * -ENXIO (no series: "memory outside kernel control"). For "ghes-dropped" memory_failure()
   * never ran; the model reports -ENXIO, what a direct call would have returned. For
   * "struct-page" the struct-page path decides (chapter 0's Machine); the model reports 0.
   */
  ret: number;
  type?: "MF_MSG_PFN_MAP";
  result?: "MF_IGNORED" | "MF_RECOVERED";
  owner?: string;
  /** SIGBUS sent by kill_proc(), in to_kill order. */
  kills: PfnKill[];
  /** Processes sent SIGKILL by kill_procs() because vma_address() gave -EFAULT. */
  sigkills: number[];
  /** Calls into the driver's pfn_to_vma_pgoff() (none under v4, which had no callback). */
  driverCalls: PfnDriverCall[];
  /** The flags kill_procs() saw (MF_ACTION_REQUIRED | MF_MUST_KILL forced on). */
  flags: number;
  /** memory_failure_pfn() never unmaps: the huge pfnmap stays as it is. */
  unmapped: false;
  /** num_poisoned_pages and the per-node mf_stats: action_result() skips MF_MSG_PFN_MAP. */
  countersIncremented: boolean;
  path: PfnPath;
  /** What the kernel did, in order, citing functions. */
  steps: string[];
}

export interface MemoryFailurePfnOptions {
  /** The task whose access raised the error (task work after a synchronous error); absent = a kworker. */
  current?: number;
  /** Who reported the error: GHES (firmware, e.g. on Grace) or a direct memory_failure() call. */
  reporter?: "ghes" | "memory_failure";
  /** Caller's flags (e.g. MF_ACTION_REQUIRED); memory_failure_pfn() adds AR | MUST_KILL anyway. */
  flags?: number;
}

function hex(n: number): string {
  return "0x" + n.toString(16);
}

/**
 * task_early_kill(tsk, force_early = true): the current task always; any other only if it chose
 * early kill (find_early_kill_thread(): PF_MCE_EARLY, or vm.memory_failure_early_kill when it
 * chose nothing).
 */
function taskEarlyKill(sys: PfnSystem, pid: number, current: number | undefined): boolean {
  if (pid === current) return true;
  if (sys.earlyKill?.includes(pid)) return true;
  if (sys.lateKill?.includes(pid)) return false;
  return sys.sysctlEarlyKill ?? false;
}

/** The VMAs on mapping->i_mmap, in vma_interval_tree order (by vm_pgoff, then address). */
function iMmap(sys: PfnSystem, space: PfnAddressSpace): PfnVma[] {
  return sys.vmas
    .filter((v) => v.mapping === space.mapping)
    .sort((a, b) => a.pgoff - b.pgoff || a.start - b.start || a.pid - b.pid);
}

interface ToKill {
  pid: number;
  addr: number;
}

/**
 * collect_procs_pfn(): for each process that task_early_kill() lets through, each of its VMAs on
 * the space's i_mmap. Fixed kernel: every VMA (vma_interval_tree_foreach 0..ULONG_MAX), the driver's
 * pfn_to_vma_pgoff() gives the pgoff, add_to_kill_pgoff() computes vma_address(vma, pgoff, 1) and
 * queues the task even when that is -EFAULT. v4: only VMAs whose file range holds pgoff == pfn
 * (vma_interval_tree_foreach(pfn, pfn)), address vma_address(vma, pfn, 1).
 */
function collectProcsPfn(sys: PfnSystem, space: PfnAddressSpace, pfn: number, current: number | undefined, calls: PfnDriverCall[], steps: string[]): ToKill[] {
  const out: ToKill[] = [];
  const vmas = iMmap(sys, space);
  for (const pid of sys.pids) {
    if (!taskEarlyKill(sys, pid, current)) {
      if (vmas.some((v) => v.pid === pid)) steps.push(`task_early_kill(): pid ${pid} maps the device but is neither current nor early-kill: skipped (late kill)`);
      continue;
    }
    for (const vma of vmas) {
      if (vma.pid !== pid) continue;
      if (sys.pgoffFromPfn) {
        if (pfn < vma.pgoff || pfn >= vma.pgoff + vmaPages(vma)) continue;
        const addr = vmaAddressPgoff(vma, pfn);
        steps.push(`v4 add_to_kill_pfn(): pid ${pid} VMA ${hex(vma.start)} has vm_pgoff range holding ${hex(pfn)} (the PFN read as a pgoff): si_addr ${hex(addr)}`);
        out.push({ pid, addr });
        continue;
      }
      const cb = space.pfnToVmaPgoff;
      if (typeof cb !== "function") {
        throw new ParameterError("pfn_space.pfnToVmaPgoff", `${space.owner} has no callback`, "the fixed kernel calls it for every VMA; register with a callback, or set pgoffFromPfn to model v4");
      }
      const r = cb(vma, pfn);
      calls.push({ pid, vmaStart: vma.start, result: r });
      if ("err" in r) {
        steps.push(`pfn_to_vma_pgoff(): pid ${pid} VMA ${hex(vma.start)} → ${r.err}: this VMA does not map the PFN`);
        continue;
      }
      const addr = vmaAddressPgoff(vma, r.pgoff);
      steps.push(addr === -EFAULT
        ? `add_to_kill_pgoff(): pid ${pid} pgoff ${hex(r.pgoff)} is outside VMA ${hex(vma.start)}: vma_address() = -EFAULT, queued anyway ("Unable to find address")`
        : `add_to_kill_pgoff(): pid ${pid} pgoff ${hex(r.pgoff)} → vma_address() = ${hex(addr)}, size_shift PAGE_SHIFT`);
      out.push({ pid, addr });
    }
  }
  return out;
}

/**
 * memory_failure() on a PFN above system RAM. With Ankit's series (pfnDispatch, the default):
 * pfn_to_online_page() fails, arch_memory_failure() does not claim it, !pfn_valid() →
 * memory_failure_pfn(): look the PFN up in pfn_space_itree (dispatch on the physical address, as
 * Jason said); no match → action_result(MF_MSG_PFN_MAP, MF_IGNORED) = -EBUSY; a match →
 * collect_procs_pfn(), flags |= MF_ACTION_REQUIRED | MF_MUST_KILL, kill_procs(forcekill), no
 * unmap, action_result(MF_MSG_PFN_MAP, MF_RECOVERED) = 0. action_result() does not count
 * MF_MSG_PFN_MAP in num_poisoned_pages or the per-node stats. Nothing records the PFN as poisoned
 * in mm (there is no struct page for PG_hwpoison); only the driver hears of it, through its
 * callback.
 */
export function memoryFailurePfn(sys: PfnSystem, pfn: number, opts: MemoryFailurePfnOptions = {}): PfnFailureResult {
  checkInt("pfn", pfn, 0, Number.MAX_SAFE_INTEGER);
  checkInt("ramFrames", sys.ramFrames, 0, Number.MAX_SAFE_INTEGER);
  if (opts.current !== undefined) checkInt("current", opts.current, 0, Number.MAX_SAFE_INTEGER);
  const reporter = opts.reporter ?? "memory_failure";
  const current = opts.current;
  const base = {
    kills: [] as PfnKill[],
    sigkills: [] as number[],
    driverCalls: [] as PfnDriverCall[],
    flags: opts.flags ?? 0,
    unmapped: false as const,
    countersIncremented: false,
  };
  const steps: string[] = [];
  const dispatch = sys.pfnDispatch ?? hasChange(sys.kernel ?? DEFAULT_KERNEL_VERSION, "pfn-without-struct-page");

  if (pfn < sys.ramFrames) {
    steps.push(`${hex(pfn)} is system RAM: pfn_to_online_page() finds its struct page; memory_failure() takes the struct-page path (chapter 0), not memory_failure_pfn()`);
    return { ...base, ret: 0, path: "struct-page", steps };
  }

  if (reporter === "ghes") {
    if (!dispatch) {
      steps.push(`ghes_do_memory_failure(): !pfn_valid(${hex(pfn)}) → "Invalid address in generic error data"; memory_failure() is never called (the check Ankit's GHES patch removed)`);
      return { ...base, ret: -ENXIO, path: "ghes-dropped", steps };
    }
    steps.push(current !== undefined
      ? `ghes_do_memory_failure(): synchronous error with current->mm: memory_failure() runs as task work in pid ${current}`
      : `ghes_do_memory_failure(): memory_failure_queue() → a kworker runs memory_failure() (no user process is current)`);
  }

  // Assumption: no arch_memory_failure() claims device memory (x86's handles SGX EPC pages only;
  // the generic stub returns -ENXIO).
  steps.push(`memory_failure(${hex(pfn)}): pfn_to_online_page() = NULL; arch_memory_failure() does not claim it`);
  if (!dispatch) {
    steps.push(`!pfn_valid(): no dev_pagemap either → "memory outside kernel control", -ENXIO; no process is signalled by memory_failure()`);
    return { ...base, ret: -ENXIO, path: "outside-kernel-control", steps };
  }
  steps.push(`!pfn_valid() && !arch_is_platform_page() → memory_failure_pfn()`);

  const space = sys.tree.lookup(pfn);
  if (!space) {
    steps.push(`interval_tree_iter_first(pfn_space_itree, ${hex(pfn)}) = NULL: no driver registered this PFN`);
    steps.push(`action_result(MF_MSG_PFN_MAP, MF_IGNORED) → -EBUSY; counters untouched`);
    return { ...base, ret: -EBUSY, type: "MF_MSG_PFN_MAP", result: "MF_IGNORED", path: "memory_failure_pfn", steps };
  }
  steps.push(`interval_tree_iter_first() → ${space.owner} [${hex(space.start)}, ${hex(space.last)}]`);
  const calls: PfnDriverCall[] = [];
  const tokill = collectProcsPfn(sys, space, pfn, current, calls, steps);
  const flags = (opts.flags ?? 0) | MF_ACTION_REQUIRED | MF_MUST_KILL;
  steps.push(`flags |= MF_ACTION_REQUIRED | MF_MUST_KILL; kill_procs(forcekill = true) on ${tokill.length} entr${tokill.length === 1 ? "y" : "ies"}; no unmap_mapping_range()`);
  const kills: PfnKill[] = [];
  const sigkills: number[] = [];
  for (const tk of tokill) {
    if (tk.addr === -EFAULT) {
      sigkills.push(tk.pid);
      steps.push(`kill_procs(): pid ${tk.pid} address -EFAULT → SIGKILL ("forcibly killing … because of failure to unmap corrupted page")`);
      continue;
    }
    const code = flags & MF_ACTION_REQUIRED && tk.pid === current ? "BUS_MCEERR_AR" : "BUS_MCEERR_AO";
    kills.push({ pid: tk.pid, addr: tk.addr, code, lsb: PAGE_SHIFT });
    steps.push(`kill_proc(): SIGBUS ${code} to pid ${tk.pid}, si_addr ${hex(tk.addr)}, si_addr_lsb ${PAGE_SHIFT}`);
  }
  steps.push(`action_result(MF_MSG_PFN_MAP "non struct page pfn", MF_RECOVERED) → 0; num_poisoned_pages and mf_stats not incremented`);
  return { ...base, ret: 0, type: "MF_MSG_PFN_MAP", result: "MF_RECOVERED", owner: space.owner, kills, sigkills, driverCalls: calls, flags, path: "memory_failure_pfn", steps };
}
