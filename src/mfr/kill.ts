import { PAGE_SHIFT } from "../core/units.js";
import { EFAULT, EHWPOISON, MF_ACTION_REQUIRED } from "./constants.js";
import type { Machine } from "./machine.js";
import { vmaAddress } from "./mm/util.js";
import { folioShift, folioTest, PG_hugetlb, type Folio } from "./mm/folio.js";
import { walk, entries } from "./mm/pagetable.js";
import type { Task } from "./mm/process.js";

/** struct to_kill: a task to signal, the user address of the poisoned page, and si_addr_lsb. */
export interface ToKill {
  task: Task;
  addr: number;
  sizeShift: number;
}

/**
 * task_early_kill() / find_early_kill_thread(): with force_early (MF_ACTION_REQUIRED) the
 * current task is always collected; others only if they chose early kill (PR_MCE_KILL_EARLY,
 * or the vm.memory_failure_early_kill default).
 */
function taskEarlyKill(m: Machine, t: Task, forceEarly: boolean, current: number): boolean {
  if (forceEarly && t.pid === current) return true;
  if (t.mceKill === "early") return true;
  if (t.mceKill === "late") return false;
  return m.opts.earlyKill;
}

/**
 * __add_to_kill(): size_shift is folio_shift() (30 for a 1G hugetlb folio, 12 after a THP
 * split), or PAGE_SHIFT when the mapping has AS_MF_KEEP_UE_MAPPED (RFC v3 patch 1/3).
 */
function sizeShift(f: Folio): number {
  if (f.mapping && f.mapping.keepUeMapped()) return PAGE_SHIFT;
  return folioShift(f);
}

/**
 * collect_procs(): collect_procs_anon() needs the page mapped in the task
 * (page_mapped_in_vma); collect_procs_file() takes every VMA covering the page offset, even if
 * the page is not in its page table (the early-kill comment in collect_procs_file).
 */
export function collectProcs(m: Machine, f: Folio, p: number, forceEarly: boolean, current: number): ToKill[] {
  const out: ToKill[] = [];
  const shift = sizeShift(f);
  if (f.anon) {
    const t = m.tasks.get(f.anon.pid);
    if (!t || !t.alive || !taskEarlyKill(m, t, forceEarly, current)) return out;
    const w = walk(t, f.anon.addr);
    if (!w || w.pte.hwpoison || w.pte.pfn !== f.pfn) return out;
    out.push({ task: t, addr: f.anon.addr + (p - f.pfn) * 4096, sizeShift: shift });
    return out;
  }
  if (!f.mapping) return out;
  const pgoff = f.index + (p - f.pfn);
  for (const t of m.tasks.values()) {
    if (!t.alive || !taskEarlyKill(m, t, forceEarly, current)) continue;
    for (const v of t.vmas) {
      if (v.file !== f.mapping) continue;
      const addr = vmaAddress(v, pgoff);
      if (addr >= 0) out.push({ task: t, addr, sizeShift: shift });
    }
  }
  return out;
}

/** kill_proc(): BUS_MCEERR_AR only to the current task with MF_ACTION_REQUIRED, BUS_MCEERR_AO otherwise. */
export function killProc(m: Machine, tk: ToKill, flags: number, current: number, why: string): void {
  if (flags & MF_ACTION_REQUIRED && tk.task.pid === current) {
    m.sendSignal(tk.task.pid, "SIGBUS", "BUS_MCEERR_AR", tk.addr, tk.sizeShift, why);
  } else {
    m.sendSignal(tk.task.pid, "SIGBUS", "BUS_MCEERR_AO", tk.addr, tk.sizeShift, why);
  }
}

/**
 * kill_procs(): only when forcekill. 7.3.4 and 6.12.117 send SIGBUS even when unmapping
 * failed (SIGKILL only for an unknown address); before Jane Chu's 2024 series an unmap failure
 * meant SIGKILL ("forcibly killing … because of failure to unmap corrupted page").
 */
export function killProcs(m: Machine, tokill: ToKill[], forcekill: boolean, fail: boolean, flags: number, current: number, why: string): void {
  if (!forcekill) return;
  for (const tk of tokill) {
    if ((fail && m.opts.killOnUnmapFailure === "sigkill") || tk.addr === -EFAULT) {
      m.sendSignal(tk.task.pid, "SIGKILL", null, tk.addr, 0, "failure to unmap corrupted page");
    } else {
      killProc(m, tk, flags, current, why);
    }
  }
}

/** kill_procs_now(): the THP could not be split (maybe RDMA pinned); SIGBUS so the application can recover. */
export function killProcsNow(m: Machine, f: Folio, p: number, flags: number, current: number): void {
  killProcs(m, collectProcs(m, f, p, (flags & MF_ACTION_REQUIRED) !== 0, current), true, false, flags, current, "thp split failed");
}

/**
 * kill_accessing_process(): an action-required error on an already poisoned page. Walks the
 * current task's page table (hwpoison_walk_ops) for an entry that maps the page, present or a
 * hwpoison entry, and signals it. check_hwpoisoned_entry() compares PFNs masked to the entry's
 * size and reports the raw page's address, poisoned_pfn − pfn pages into the entry, with the
 * entry's shift: a hugetlb entry gives the raw page's address and the huge shift (or PAGE_SHIFT
 * with AS_MF_KEEP_UE_MAPPED, William Roche's patch in RFC v3), a PMD-mapped THP
 * (check_hwpoisoned_pmd_entry()) the raw page's address and PAGE_SHIFT. -EHWPOISON if signalled,
 * else -EFAULT (no live task; the kernel returns 0 when nothing maps the page, which the model's
 * callers treat alike). Same in 6.12.117 and 7.3.
 */
export function killAccessingProcess(m: Machine, current: number, rawPfn: number, flags: number): number {
  const t = m.tasks.get(current);
  if (!t || !t.alive) return -EFAULT;
  for (const e of entries(t)) {
    const n = e.size === "4K" ? 1 : e.size === "2M" ? 512 : 262144;
    // A hugetlb hwpoison entry may record any page of the folio; mask both sides as the kernel does.
    const entryPfn = e.pte.pfn - (e.pte.pfn % n);
    if (rawPfn < entryPfn || rawPfn >= entryPfn + n) continue;
    const addr = e.base + (rawPfn - entryPfn) * 4096;
    const f = e.pte.hwpoison ? undefined : m.mem.pageFolio(e.pte.pfn);
    let lsb: number;
    if (e.size === "4K") lsb = PAGE_SHIFT;
    else if (e.pte.hwpoison || (f && folioTest(f, PG_hugetlb))) {
      const keep = !!f && f.mapping !== null && f.mapping.keepUeMapped();
      lsb = keep ? PAGE_SHIFT : PAGE_SHIFT + Math.log2(n);
    } else lsb = PAGE_SHIFT; // check_hwpoisoned_pmd_entry(): a PMD-mapped THP
    killProc(m, { task: t, addr, sizeShift: lsb }, flags, current, "already poisoned (kill_accessing_process)");
    return -EHWPOISON;
  }
  return -EFAULT;
}
