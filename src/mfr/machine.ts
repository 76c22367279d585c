import type { MfResult } from "./result.js";
import { MfrLabError, ParameterError, checkInt } from "../core/errors.js";
import { formatSize, PAGE_SHIFT, PAGE_SIZE_SHIFT, parseSize, type PageSize } from "../core/units.js";
import {
  EBUSY, EHWPOISON, EINVAL, EPERM, EOPNOTSUPP, MFD_HUGETLB, MFD_MF_KEEP_UE_MAPPED, MF_ACTION_REQUIRED, MF_COUNT_INCREASED, MF_SW_SIMULATED,
  ORDER_2M, type MceKillPolicy, type MfMsg, type SigbusCode,
} from "./constants.js";
import { EventLog, type MfrEvent } from "./events.js";
import { folioNrPages, folioTest, PG_anon, PG_dirty, PG_hugetlb, PG_hwpoison, PG_lru, type Folio } from "./mm/folio.js";
import { MmAddressSpace } from "./mm/mapping.js";
import { alignDown, clearEntry, entriesIn, getEntry, setEntry, unitOf, walk } from "./mm/pagetable.js";
import { PhysMem } from "./mm/physmem.js";
import { Task, type Vma } from "./mm/process.js";
import { memoryFailure } from "./memory-failure.js";
import { unpoisonMemory } from "./unpoison.js";
import { softOfflinePage } from "./soft-offline.js";
import { fileRead, fileSync, fileWrite } from "./file-io.js";
import { removeMappingRange } from "./policy/memfd-offline.js";
import type { MfPolicyHooks } from "./policy/hooks.js";
import { checkInvariants, summarize, watchStep, type MachineSummary } from "./invariants.js";
import { folioPageSize, vmaAddress } from "./mm/util.js";
import { hasChange, parseKernelVersion, type KernelVersion } from "./kernel-version.js";
// Re-exported: these used to live here; modules inside src/mfr import them from ./mm/util.js
// (no value import may point back at machine.ts: tslab cannot load import cycles).
export { folioPageSize, vmaAddress, allEntries } from "./mm/util.js";

/** Which release path of the memfd policy runs (brief §2.2–2.4). */
export type PolicyVariant = "v1" | "v1-buggy" | "v2";

export interface MachineOptions {
  /** Physical memory, e.g. "64M" or "640G" (a multiple of 2M). */
  memory: string | number;
  /** The kernel whose behaviour the model follows where 6.12 and 7.3 differ (default "7.3"; see KERNEL_CHANGES). */
  kernel?: KernelVersion;
  /**
   * How a consumed error reaches memory_failure(): "x86" (machine check, kill_me_maybe()) or
   * "arm64" (a synchronous external abort reported by firmware through GHES). Default "x86".
   */
  arch?: "x86" | "arm64";
  /** vm.panic_on_unrecoverable_memory_failure (since 7.x; default false). Refused on 6.12, which has no such sysctl. */
  panicOnUnrecoverableMemoryFailure?: boolean;
  /** Frames at the bottom reserved for the kernel (PG_reserved). Default: 1/64 of memory, at most 16M. */
  reserved?: string | number;
  /** HugeTLB pool sizes carved out at boot: { "1G": 64, "2M": 512 }. */
  hugetlb?: Partial<Record<"2M" | "1G", number>>;
  /** HugeTLB Vmemmap Optimization. */
  hvo?: boolean;
  /** With HVO on, vmemmap restore fails, so dissolve_free_hugetlb_folio() returns -ENOMEM. */
  hvoRestoreFails?: boolean;
  /** The GFP_ATOMIC raw_hwp_page allocation fails: folios become hugetlb_raw_hwp_unreliable. */
  rawHwpAllocFails?: boolean;
  /** vm.memory_failure_early_kill (default false = late kill). */
  earlyKill?: boolean;
  /** vm.enable_soft_offline (default true). */
  enableSoftOffline?: boolean;
  /** vm.memory_failure_recovery (default true; false panics on the first error). */
  memoryFailureRecovery?: boolean;
  /** Release path of MFD_MF_KEEP_UE_MAPPED memfds: v1 batch, v1 without the unconditional take-off, v2 per folio. */
  policyVariant?: PolicyVariant;
  /**
   * What kill_procs() sends when unmapping failed: "sigbus" (since Jane Chu's 2024 series, the
   * 6.12.117 and 7.3.4) or "sigkill" (before it: "forcibly killing … failure to unmap").
   */
  killOnUnmapFailure?: "sigbus" | "sigkill";
  /** Fault injection: try_to_unmap() leaves user mappings in place (a race the kernel can lose). */
  unmapFails?: boolean;
  /**
   * free_has_hwpoisoned() from Jiaqi Yan's 2026 series (pending: not in 7.3.4 nor 6.12.117): when an
   * unsplit has_hwpoisoned folio is freed, only its healthy pages return to the buddy allocator.
   * Default false, as in mainline, where the poisoned subpage goes back with the rest.
   */
  freeHasHwpoisoned?: boolean;
  /** Keep the event log (default true). Violations are always kept. */
  recordEvents?: boolean;
  /** Check invariants after every step (default true). */
  checkEveryStep?: boolean;
  /**
   * What filemap_offline_hwpoison_folio() does with a folio_maybe_dma_pinned() folio: "try" (the
   * RFC as posted: drop MF's references and try to dissolve, which fails with -EBUSY) or "ebusy"
   * (Jiaqi Yan, 21 Jan 2025: never offline a DMA-pinned folio; return -EBUSY and leave it alone).
   */
  offlinePinned?: "try" | "ebusy";
  /** Decision hooks of a userspace MFR policy (Chapter 6, src/policy); none by default. */
  policyHooks?: MfPolicyHooks;
}

/**
 * Callbacks a subsystem outside src/mfr (src/iommufd) registers on a machine. src/mfr never
 * imports such subsystems; nothing in mainline mm calls an IOMMU (fact brief §3), so every hook
 * here is either model plumbing or a proposal the course evaluates.
 */
export interface MachineNotifier {
  /** A memfd range is about to lose its folios (truncate, hole punch, release): the owner's revoke notifier (Jason Gunthorpe, Feb 2026 direction). */
  fileRangeRemove?(as: MmAddressSpace, startIdx: number, endIdx: number, reason: string): void;
  /** memory_failure(pfn) started (the frame is marked bad): a callback into the IOMMU that mainline lacks. */
  memoryFailure?(pfn: number): void;
  /** A process is exiting, after exit_mm() and exit_files(): device fds it owned are released. */
  exit?(pid: number): void;
  /** After every step: check the subsystem's own invariants (`deep` as for checkInvariants). */
  afterStep?(deep: boolean): void;
}

/** What a signal carried (siginfo for SIGBUS: si_code, si_addr, si_addr_lsb). */
export interface SignalInfo {
  pid: number;
  sig: "SIGBUS" | "SIGKILL";
  code: SigbusCode | null;
  addr: number;
  lsb: number;
}

/** Result of one memory access by a process. */
export interface AccessResult {
  /** ok: the access completed; sigbus/sigsegv: it raised a signal; killed: the process is gone. */
  result: "ok" | "sigbus" | "sigsegv" | "killed";
  signals: SignalInfo[];
}

/** Return of memory_failure() with what action_result() logged for it (when it ran). */
export interface MemoryFailureResult {
  ret: number;
  type?: MfMsg;
  result?: MfResult;
}

/** Per-node counters (/sys/devices/system/node/node0/memory_failure/*). */
export interface MfStats {
  total: number;
  ignored: number;
  failed: number;
  delayed: number;
  recovered: number;
}

interface Pin {
  pid: number;
  folio: Folio;
}

/**
 * A simulated machine: physical memory, processes, memfds, and the kernel's memory-failure
 * handling (mm/memory-failure.c) with the proposed userspace MFR policy (MFD_MF_KEEP_UE_MAPPED).
 * Every public method is one step; after each step the invariants are checked and any
 * violation is logged as an "invariant" event.
 */
export class Machine {
  readonly opts: Required<Omit<MachineOptions, "memory" | "reserved" | "hugetlb">>;
  readonly log: EventLog;
  readonly mem: PhysMem;
  readonly tasks = new Map<number, Task>();
  readonly stats: MfStats = { total: 0, ignored: 0, failed: 0, delayed: 0, recovered: 0 };
  /** num_poisoned_pages (global counter in mm/memory-failure.c). */
  numPoisonedPages = 0;
  /** hw_memory_failure: set by the first error not flagged MF_SW_SIMULATED; disables unpoison. */
  hwMemoryFailure = false;
  panicked = false;
  readonly pins: Pin[] = [];
  /** Registered subsystems (src/iommufd); called in registration order. */
  readonly notifiers: MachineNotifier[] = [];
  /** Processes to end with SIGKILL once the current step finishes. */
  readonly pendingKills = new Set<number>();
  private nextPid = 100;
  private nextMappingId = 1;
  /** Signals raised during the current step (to tell an access what happened to it). */
  stepSignals: SignalInfo[] = [];

  constructor(options: MachineOptions) {
    const bytes = parseSize(options.memory, "memory");
    if (bytes < 2 ** 21 || bytes % 2 ** 21 !== 0) throw new ParameterError("memory", `${bytes} bytes is not a whole number of 2M`, 'use e.g. "64M" or "640G"');
    const nrFrames = bytes / 4096;
    if (nrFrames > 2 ** 31) throw new ParameterError("memory", "larger than the model's 8T limit");
    const reserved = options.reserved === undefined ? Math.min(4096, Math.floor(nrFrames / 64)) : parseSize(options.reserved, "reserved") / 4096;
    checkInt("reserved frames", reserved, 0, nrFrames - 1);
    const kernel = parseKernelVersion(options.kernel);
    const arch = options.arch ?? "x86";
    if (arch !== "x86" && arch !== "arm64") throw new ParameterError("arch", `"${String(arch)}" is not modelled`, 'use "x86" or "arm64"');
    if (options.panicOnUnrecoverableMemoryFailure && !hasChange(kernel, "panic-on-unrecoverable")) {
      throw new ParameterError("panicOnUnrecoverableMemoryFailure", `kernel ${kernel} has no vm.panic_on_unrecoverable_memory_failure`, 'use kernel "7.3", or leave it unset');
    }
    this.opts = {
      kernel,
      arch,
      panicOnUnrecoverableMemoryFailure: options.panicOnUnrecoverableMemoryFailure ?? false,
      hvo: options.hvo ?? false,
      hvoRestoreFails: options.hvoRestoreFails ?? false,
      rawHwpAllocFails: options.rawHwpAllocFails ?? false,
      earlyKill: options.earlyKill ?? false,
      enableSoftOffline: options.enableSoftOffline ?? true,
      memoryFailureRecovery: options.memoryFailureRecovery ?? true,
      policyVariant: options.policyVariant ?? "v2",
      killOnUnmapFailure: options.killOnUnmapFailure ?? "sigbus",
      unmapFails: options.unmapFails ?? false,
      freeHasHwpoisoned: options.freeHasHwpoisoned ?? false,
      recordEvents: options.recordEvents ?? true,
      checkEveryStep: options.checkEveryStep ?? true,
      offlinePinned: options.offlinePinned ?? "try",
      policyHooks: options.policyHooks ?? {},
    };
    if (!["v1", "v1-buggy", "v2"].includes(this.opts.policyVariant)) {
      throw new ParameterError("policyVariant", `"${this.opts.policyVariant}" is not a variant`, "use v1, v1-buggy or v2");
    }
    this.log = new EventLog(this.opts.recordEvents);
    this.mem = new PhysMem({ nrFrames, reservedFrames: reserved, hugetlb: options.hugetlb ?? {}, hvo: this.opts.hvo, hvoRestoreFails: this.opts.hvoRestoreFails, freeHasHwpoisoned: this.opts.freeHasHwpoisoned }, this.log);
  }

  // ---------------------------------------------------------------- public steps

  get events(): readonly MfrEvent[] {
    return this.log.events;
  }

  get violations(): readonly Extract<MfrEvent, { kind: "invariant" }>[] {
    return this.log.violations;
  }

  /** Starts a process; returns its pid. */
  spawn(): number {
    return this.step(() => {
      const pid = this.nextPid++;
      this.tasks.set(pid, new Task(pid));
      return pid;
    });
  }

  /** prctl(PR_MCE_KILL, PR_MCE_KILL_SET, early|late) or PR_MCE_KILL_CLEAR (default). */
  prctlMceKill(pid: number, policy: MceKillPolicy): void {
    this.step(() => {
      this.task(pid).mceKill = policy;
    });
  }

  /**
   * memfd_create() (+ ftruncate to `size`). Flags follow mm/memfd.c sanitize_flags(): with the
   * RFC, MFD_MF_KEEP_UE_MAPPED without MFD_HUGETLB is -EINVAL. Returns the fd or -errno.
   */
  memfdCreate(pid: number, o: { size: string | number; hugetlb?: "2M" | "1G"; keepUeMapped?: boolean; thp?: boolean; flags?: number }): number {
    return this.step(() => {
      const t = this.task(pid);
      let flags = o.flags ?? 0;
      if (o.hugetlb) flags |= MFD_HUGETLB;
      if (o.keepUeMapped) flags |= MFD_MF_KEEP_UE_MAPPED;
      if (!(flags & MFD_HUGETLB) && flags & MFD_MF_KEEP_UE_MAPPED) return -EINVAL;
      const huge: PageSize = flags & MFD_HUGETLB ? o.hugetlb ?? "2M" : o.thp ? "2M" : "4K";
      const size = parseSize(o.size, "memfd size");
      if (size % unitOf(huge) !== 0) throw new ParameterError("memfd size", `${size} is not a multiple of ${huge}`);
      const as = new MmAddressSpace(this.nextMappingId++, flags & MFD_HUGETLB ? "hugetlbfs" : "shmem", huge, size);
      if (flags & MFD_MF_KEEP_UE_MAPPED) as.setKeepUeMapped();
      as.refs = 1;
      const fd = t.nextFd++;
      t.fds.set(fd, as);
      return fd;
    });
  }

  /** open(O_CREAT|O_TRUNC) of a regular file on a disk file system (ext4), then ftruncate to `size`; returns the fd. */
  openFile(pid: number, o: { size: string | number }): number {
    return this.step(() => {
      const t = this.task(pid);
      const size = parseSize(o.size, "file size");
      if (size % 4096 !== 0) throw new ParameterError("file size", `${size} is not a multiple of 4K`);
      const as = new MmAddressSpace(this.nextMappingId++, "ext4", "4K", size);
      as.refs = 1;
      const fd = t.nextFd++;
      t.fds.set(fd, as);
      as.wbErrSeen.set(`${pid}:${fd}`, as.wbErr);
      return fd;
    });
  }

  /** pread(fd, len, off): bytes read, or -errno (see file-io.ts). */
  pread(pid: number, fd: number, off: number, len: number): number {
    return this.step(() => fileRead(this, this.fd(pid, fd), off, len));
  }

  /** pwrite(fd, len, off): bytes written, or -errno. */
  pwrite(pid: number, fd: number, off: number, len: number): number {
    return this.step(() => fileWrite(this, this.fd(pid, fd), off, len));
  }

  /** fsync(fd): writes a disk file's dirty pages back; -EIO once after mapping_set_error(). */
  fsync(pid: number, fd: number): number {
    return this.step(() => fileSync(this.fd(pid, fd), `${pid}:${fd}`));
  }

  /** Passes an open memfd to another process (SCM_RIGHTS / pidfd_getfd); returns the new fd. */
  shareFd(fromPid: number, fd: number, toPid: number): number {
    return this.step(() => {
      const as = this.fd(fromPid, fd);
      const t = this.task(toPid);
      const nfd = t.nextFd++;
      t.fds.set(nfd, as);
      as.refs++;
      as.wbErrSeen.set(`${toPid}:${nfd}`, as.wbErr);
      return nfd;
    });
  }

  /**
   * mmap(): a shared mapping of a memfd (`fd`, `offset`) or private anonymous memory
   * (`thp` allows 2M THP, `hugetlb` is MAP_HUGETLB). Returns the address (1G aligned).
   */
  mmap(pid: number, o: { length: string | number; fd?: number; offset?: string | number; thp?: boolean; hugetlb?: "2M" | "1G" }): number {
    return this.step(() => {
      const t = this.task(pid);
      const length = parseSize(o.length, "length");
      let file: MmAddressSpace | null = null;
      let unit: PageSize = o.hugetlb ?? "4K";
      if (o.fd !== undefined) {
        file = t.fds.get(o.fd) ?? null;
        if (!file) throw new ParameterError("fd", `process ${pid} has no fd ${o.fd}`);
        unit = file.folioSize;
      }
      const offset = parseSize(o.offset ?? 0, "offset");
      if (length === 0 || length % unitOf(unit) !== 0 || offset % unitOf(unit) !== 0) {
        throw new ParameterError("length", `length and offset must be multiples of ${unit}`);
      }
      const start = t.nextAddr;
      t.nextAddr += Math.ceil(length / 2 ** 30) * 2 ** 30 + 2 ** 30;
      const vma: Vma = { start, end: start + length, file, pgoff: offset / 4096, anonHuge: file ? null : o.hugetlb ?? (o.thp ? "2M" : null), hugetlb: file ? file.fs === "hugetlbfs" : !!o.hugetlb };
      t.vmas.push(vma);
      if (file) file.refs++;
      return start;
    });
  }

  /** A load (write=false) or store by a process: faults pages in, consumes poison if it hits a bad frame. */
  touch(pid: number, addr: number, o: { write?: boolean } = {}): AccessResult {
    return this.step(() => this.access(this.task(pid), addr, o.write ?? true));
  }

  read(pid: number, addr: number): AccessResult {
    return this.touch(pid, addr, { write: false });
  }

  write(pid: number, addr: number): AccessResult {
    return this.touch(pid, addr, { write: true });
  }

  /** Touches every page of [addr, addr+length) at the mapping's own granularity. */
  populate(pid: number, addr: number, length: string | number): void {
    this.step(() => {
      const t = this.task(pid);
      const vma = t.findVma(addr);
      if (!vma) throw new ParameterError("addr", `no mapping at ${addr.toString(16)}`);
      const unit = vma.file ? vma.file.folioSize : vma.anonHuge && vma.hugetlb ? vma.anonHuge : "4K";
      const bytes = parseSize(length, "length");
      // A THP mapping is walked in 4K steps but faults in 2M folios.
      checkPopulate(this, bytes, vma.file ? unit : vma.anonHuge ?? unit);
      const end = addr + bytes;
      // MAP_POPULATE stops at the first page it cannot fault in (no memory, SIGBUS, …).
      for (let a = addr; a < end; a += unitOf(unit)) if (this.access(t, a, true).result !== "ok") break;
    });
  }

  /** /proc/pid/pagemap: the physical frame behind a virtual address, or null if not present. */
  pfnOf(pid: number, addr: number): number | null {
    const w = walk(this.task(pid), addr);
    if (!w || w.pte.hwpoison) return null;
    return w.pte.pfn + Math.floor((addr - w.base) / 4096);
  }

  /** pin_user_pages(FOLL_LONGTERM) of the folio at addr, as iommufd/VFIO do for guest memory. */
  pin(pid: number, addr: number): boolean {
    return this.step(() => {
      const t = this.task(pid);
      let pfn = this.pfnOf(pid, addr);
      if (pfn === null) {
        this.access(t, addr, true);
        pfn = this.pfnOf(pid, addr);
      }
      const f = pfn === null ? undefined : this.mem.pageFolio(pfn);
      if (!f) return false;
      this.mem.pin(f);
      this.pins.push({ pid, folio: f });
      return true;
    });
  }

  /** unpin_user_pages() of the pin taken at addr (or the oldest pin of the process). */
  unpin(pid: number, addr?: number): boolean {
    return this.step(() => this.dropPin(pid, addr));
  }

  /**
   * memory_failure(pfn, flags): the kernel's entry point for an uncorrected error. `current`
   * is the task that consumed the error (for MF_ACTION_REQUIRED).
   */
  memoryFailure(pfn: number, flags = 0, o: { current?: number } = {}): MemoryFailureResult {
    return this.step(() => memoryFailure(this, pfn, flags, o.current ?? -1));
  }

  /** madvise(MADV_HWPOISON): madvise_inject_error() → memory_failure(pfn, AR|COUNT_INCREASED|SW_SIMULATED). */
  madviseHwpoison(pid: number, addr: number): MemoryFailureResult {
    return this.step(() => {
      const t = this.task(pid);
      if (!t.capSysAdmin) return { ret: -EPERM };
      // get_user_pages_fast(): faults the page in; a hwpoison entry makes GUP fail.
      let w = walk(t, addr);
      if (w && w.pte.hwpoison) {
        this.log.push({ kind: "fault", pid, addr, result: "GUP: -EHWPOISON" });
        return { ret: -EHWPOISON };
      }
      if (!w) {
        this.fault(t, addr, false);
        w = walk(t, addr);
        if (!w || w.pte.hwpoison) return { ret: -EBUSY };
      }
      const pfn = w.pte.pfn + Math.floor((addr - w.base) / 4096);
      const f = this.mem.pageFolio(pfn);
      if (!f) return { ret: -EBUSY };
      this.mem.getFolio(f);
      return memoryFailure(this, pfn, MF_ACTION_REQUIRED | MF_COUNT_INCREASED | MF_SW_SIMULATED, pid);
    });
  }

  /**
   * madvise(MADV_SOFT_OFFLINE): madvise_inject_error() takes the page with get_user_pages_fast()
   * (faulting it in), then soft_offline_page(pfn, MF_COUNT_INCREASED). A hwpoison entry makes
   * GUP fail.
   */
  madviseSoftOffline(pid: number, addr: number): number {
    return this.step(() => {
      const t = this.task(pid);
      if (!t.capSysAdmin) return -EPERM;
      let w = walk(t, addr);
      if (w && w.pte.hwpoison) {
        this.log.push({ kind: "fault", pid, addr, result: "GUP: -EHWPOISON" });
        return -EHWPOISON;
      }
      if (!w) {
        this.fault(t, addr, false);
        w = walk(t, addr);
        if (!w || w.pte.hwpoison) return -EBUSY;
      }
      return softOfflinePage(this, w.pte.pfn + Math.floor((addr - w.base) / 4096));
    });
  }

  /** unpoison_memory(pfn). */
  unpoison(pfn: number): number {
    return this.step(() => unpoisonMemory(this, pfn));
  }

  /** soft_offline_page(pfn): migrate the contents away and take the frame offline; never kills. */
  softOffline(pfn: number): number {
    return this.step(() => softOfflinePage(this, pfn));
  }

  /** ftruncate(fd, size): shrinking removes whole folios past the new end. */
  truncate(pid: number, fd: number, size: string | number): void {
    this.step(() => {
      const as = this.fd(pid, fd);
      const bytes = parseSize(size, "size");
      if (bytes % unitOf(as.folioSize) !== 0) throw new ParameterError("size", `must be a multiple of ${as.folioSize}`);
      if (bytes < as.size) removeMappingRange(this, as, bytes / 4096, as.size / 4096, "truncate");
      as.size = bytes;
    });
  }

  /** fallocate(FALLOC_FL_PUNCH_HOLE) on whole folios. */
  punchHole(pid: number, fd: number, offset: string | number, length: string | number): void {
    this.step(() => {
      const as = this.fd(pid, fd);
      const off = parseSize(offset, "offset");
      const len = parseSize(length, "length");
      if (off % unitOf(as.folioSize) !== 0 || len % unitOf(as.folioSize) !== 0) {
        throw new ParameterError("offset/length", `must be multiples of ${as.folioSize}`);
      }
      removeMappingRange(this, as, off / 4096, (off + len) / 4096, "punch hole");
    });
  }

  /** close(fd): the memfd is released when no fd and no mapping refers to it. */
  close(pid: number, fd: number): void {
    this.step(() => {
      const t = this.task(pid);
      const as = this.fd(pid, fd);
      t.fds.delete(fd);
      this.fput(as);
    });
  }

  /** munmap() of the whole VMA containing addr. */
  munmap(pid: number, addr: number): void {
    this.step(() => {
      const t = this.task(pid);
      const vma = t.findVma(addr);
      if (vma) this.unmapVma(t, vma);
    });
  }

  /** exit(): exit_mm() (unmap everything), exit_files() (close fds), then device pins go (iommufd closed last). */
  exit(pid: number): void {
    this.step(() => this.doExit(pid));
  }

  /** Re-checks every invariant now; returns the violations found in this check. */
  checkInvariants(): Extract<MfrEvent, { kind: "invariant" }>[] {
    const before = this.log.violations.length;
    checkInvariants(this, true);
    for (const n of this.notifiers) n.afterStep?.(true);
    return this.log.violations.slice(before);
  }

  /** Runs `fn` as one step of this machine (for subsystems outside src/mfr): invariants are checked after it. */
  runStep<T>(fn: () => T): T {
    return this.step(fn);
  }

  /** Final-state summary: free, in use, poisoned, leaked pages; hugetlb nr/free per size. */
  summary(): MachineSummary {
    return summarize(this);
  }

  /** nr_hugepages / free_hugepages of a pool. */
  hugetlb(size: "2M" | "1G"): { nr: number; free: number } {
    const h = this.mem.hstates.get(size);
    return { nr: h ? h.nrHugepages : 0, free: h ? h.freeHugepages : 0 };
  }

  /** Signals delivered to one process, in order. */
  signalsOf(pid: number): SignalInfo[] {
    const out: SignalInfo[] = [];
    for (const e of this.log.events) if (e.kind === "signal" && e.pid === pid) out.push({ pid, sig: e.sig, code: e.code, addr: e.addr, lsb: e.lsb });
    return out;
  }

  // ---------------------------------------------------------------- internals used by the MF code

  task(pid: number): Task {
    const t = this.tasks.get(pid);
    if (!t || !t.alive) throw new ParameterError("pid", `no live process ${pid}`);
    return t;
  }

  private fd(pid: number, fd: number): MmAddressSpace {
    const as = this.task(pid).fds.get(fd);
    if (!as) throw new ParameterError("fd", `process ${pid} has no fd ${fd}`);
    return as;
  }

  private step<T>(fn: () => T): T {
    if (this.panicked) throw new MfrLabError("the machine panicked", "vm.memory_failure_recovery was 0");
    this.log.step++;
    this.stepSignals = [];
    const unwatch = watchStep(this); // the step's changes go to the incremental invariant checks
    try {
      const r = fn();
      for (const pid of [...this.pendingKills]) {
        this.pendingKills.delete(pid);
        if (this.tasks.get(pid)?.alive) this.doExit(pid);
      }
      if (this.opts.checkEveryStep) {
        checkInvariants(this, false);
        for (const n of this.notifiers) n.afterStep?.(false);
      }
      return r;
    } finally {
      unwatch();
    }
  }

  /** force_sig_mceerr / send_sig_mceerr / SIGKILL: records the signal; SIGKILL ends the process after the step. */
  sendSignal(pid: number, sig: "SIGBUS" | "SIGKILL", code: SigbusCode | null, addr: number, lsb: number, why: string): void {
    const s: SignalInfo = { pid, sig, code, addr, lsb };
    this.stepSignals.push(s);
    this.log.push({ kind: "signal", pid, sig, code, addr, lsb, why });
    if (sig === "SIGKILL") this.pendingKills.add(pid);
  }

  /** Every present mapping of a folio (the rmap walk): task, virtual address, level. */
  rmap(f: Folio): { task: Task; base: number; size: PageSize }[] {
    const size = folioPageSize(f);
    const out: { task: Task; base: number; size: PageSize }[] = [];
    if (f.anon) {
      const t = this.tasks.get(f.anon.pid);
      const e = t && t.alive ? getEntry(t, f.anon.addr, size) : undefined;
      if (t && e && !e.hwpoison && e.pfn === f.pfn) out.push({ task: t, base: f.anon.addr, size });
      return out;
    }
    if (!f.mapping) return out;
    for (const t of this.tasks.values()) {
      if (!t.alive) continue;
      for (const v of t.vmas) {
        if (v.file !== f.mapping) continue;
        const base = vmaAddress(v, f.index);
        if (base < 0) continue;
        const e = getEntry(t, base, size);
        if (e && !e.hwpoison && e.pfn === f.pfn) out.push({ task: t, base, size });
      }
    }
    return out;
  }

  /** Maps a folio into a task (set_pte_at / set_pmd_at / set_huge_pte_at): one ref, one mapcount. */
  mapFolio(t: Task, base: number, f: Folio): void {
    setEntry(t, base, folioPageSize(f), { pfn: f.pfn, size: folioPageSize(f), hwpoison: false });
    f.mapcount++;
    this.mem.getFolio(f);
  }

  /** Zaps one present entry (zap_pte_range): drops the mapping's ref. */
  zapEntry(t: Task, base: number, size: PageSize): void {
    const e = getEntry(t, base, size);
    if (!e) return;
    clearEntry(t, base, size);
    if (e.hwpoison) return;
    const f = this.mem.pageFolio(e.pfn);
    if (!f) {
      this.log.violation("pte-to-freed-frame", `process ${t.pid} mapped pfn ${e.pfn} which has no folio`);
      return;
    }
    f.mapcount--;
    this.mem.putFolio(f, 1, "unmap");
  }

  /** Drops a file reference; the last one evicts the inode and frees its page cache. */
  fput(as: MmAddressSpace): void {
    as.refs--;
    if (as.refs === 0 && !as.evicted) {
      as.evicted = true;
      removeMappingRange(this, as, 0, Math.max(as.size / 4096, maxIndex(as)), "release");
    }
  }

  private unmapVma(t: Task, vma: Vma): void {
    for (const e of entriesIn(t, vma.start, vma.end)) this.zapEntry(t, e.base, e.size);
    t.vmas.splice(t.vmas.indexOf(vma), 1);
    if (vma.file) this.fput(vma.file);
  }

  private dropPin(pid: number, addr?: number): boolean {
    let i = -1;
    if (addr === undefined) i = this.pins.findIndex((p) => p.pid === pid);
    else {
      const pfn = this.pfnOf(pid, addr);
      i = this.pins.findIndex((p) => p.pid === pid && pfn !== null && pfn >= p.folio.pfn && pfn < p.folio.pfn + folioNrPages(p.folio));
    }
    if (i < 0) return false;
    const [p] = this.pins.splice(i, 1);
    this.mem.unpin(p.folio);
    return true;
  }

  private doExit(pid: number): void {
    const t = this.task(pid);
    for (const v of [...t.vmas]) this.unmapVma(t, v);
    for (const [fd, as] of [...t.fds]) {
      t.fds.delete(fd);
      this.fput(as);
    }
    while (this.dropPin(pid)) {
      /* iommufd/VFIO release their pins when their fd closes */
    }
    for (const n of this.notifiers) n.exit?.(pid);
    t.alive = false;
  }

  /** handle_mm_fault() for a not-present address: allocates and maps, or raises SIGBUS/SIGSEGV. */
  fault(t: Task, addr: number, write: boolean): "ok" | "sigbus" | "sigsegv" {
    const vma = t.findVma(addr);
    if (!vma) {
      this.log.push({ kind: "fault", pid: t.pid, addr, result: "SIGSEGV: no VMA" });
      return "sigsegv";
    }
    if (vma.file) {
      const as = vma.file;
      const idx = vma.pgoff + Math.floor((addr - vma.start) / 4096);
      if (idx * 4096 >= as.size) {
        this.sendSignal(t.pid, "SIGBUS", null, addr, PAGE_SHIFT, "access beyond end of file");
        return "sigbus";
      }
      let f: Folio | null = as.folioAt(idx) ?? null;
      if (f && this.folioPoisonBlocksFault(f, idx)) {
        // hugetlb_no_page(): VM_FAULT_HWPOISON_LARGE (huge shift); shmem: VM_FAULT_HWPOISON (PAGE_SHIFT).
        const lsb = as.fs === "hugetlbfs" ? PAGE_SHIFT + f.order : PAGE_SHIFT;
        this.sendSignal(t.pid, "SIGBUS", "BUS_MCEERR_AR", addr, lsb, "fault on a poisoned page in the page cache");
        this.log.push({ kind: "fault", pid: t.pid, addr, result: "VM_FAULT_HWPOISON" });
        return "sigbus";
      }
      if (!f) {
        f = this.filemapAddFolio(as, idx);
        if (!f) {
          this.sendSignal(t.pid, "SIGBUS", null, addr, PAGE_SHIFT, `no free ${as.folioSize} page for the memfd`);
          return "sigbus";
        }
      }
      this.mapFolio(t, vmaAddress(vma, f.index), f);
    } else {
      let f: Folio | null = null;
      let base = alignDown(addr, "4K");
      if (vma.hugetlb && vma.anonHuge) {
        base = alignDown(addr, vma.anonHuge);
        f = this.mem.dequeueHugetlb(vma.anonHuge);
      } else if (vma.anonHuge === "2M" && alignDown(addr, "2M") >= vma.start && alignDown(addr, "2M") + unitOf("2M") <= vma.end && entriesIn(t, alignDown(addr, "2M"), alignDown(addr, "2M") + unitOf("2M")).length === 0) {
        base = alignDown(addr, "2M");
        f = this.mem.allocFolio(ORDER_2M, PG_lru | PG_anon, "anon THP");
        if (!f) base = alignDown(addr, "4K");
      }
      if (!f) f = this.mem.allocFolio(0, PG_lru | PG_anon, "anon");
      if (!f) {
        this.sendSignal(t.pid, "SIGKILL", null, addr, 0, "out of memory");
        return "sigbus";
      }
      f.flags |= PG_anon;
      f.anon = { pid: t.pid, addr: base };
      this.mapFolio(t, base, f);
    }
    if (write) this.markDirty(t, addr);
    return "ok";
  }

  /**
   * Allocates the folio for page offset `idx` of a memfd and adds it to the page cache (the
   * fault path, and memfd_pin_folios() for a hole). null when the pool or the allocator is empty.
   */
  filemapAddFolio(as: MmAddressSpace, idx: number): Folio | null {
    const n = as.folioSize === "4K" ? 1 : unitOf(as.folioSize) / 4096;
    const head = idx - (idx % n);
    const f = as.fs === "hugetlbfs" ? this.mem.dequeueHugetlb(as.folioSize) : this.mem.allocFolio(as.folioSize === "2M" ? ORDER_2M : 0, PG_lru, "shmem");
    if (!f) return null;
    f.mapping = as;
    f.index = head;
    // hugetlb_add_to_page_cache() marks the folio dirty; the page cache holds nr pages refs.
    if (as.fs === "hugetlbfs") f.flags |= PG_dirty;
    this.mem.getFolio(f, folioNrPages(f));
    as.pages.set(head, f);
    return f;
  }

  /** A poisoned folio found in the page cache at fault time blocks the fault, unless the policy keeps it mapped. */
  private folioPoisonBlocksFault(f: Folio, idx: number): boolean {
    if (folioTest(f, PG_hugetlb)) return folioTest(f, PG_hwpoison) && !(f.mapping && f.mapping.keepUeMapped());
    return this.mem.hwpoison.has(f.pfn + (idx - f.index));
  }

  private markDirty(t: Task, addr: number): void {
    const w = walk(t, addr);
    const f = w && !w.pte.hwpoison ? this.mem.pageFolio(w.pte.pfn) : undefined;
    if (f) f.flags |= PG_dirty;
  }

  /**
   * memory_failure() did not recover a consumed error and signalled nobody. x86 kill_me_maybe()
   * → kill_me_now(): force_sig(SIGBUS), a plain SIGBUS with no address (both kernels). arm64:
   * since 7.x memory_failure_cb() does the same; until 6.12 the error was queued and nothing more
   * is sent (KERNEL_CHANGES["ghes-sync-task-work"]). A SIGBUS already pending for the task is not
   * queued twice (legacy_queue()), hence the caller's check that none was sent in this step.
   */
  private consumeFailed(pid: number): void {
    if (this.opts.arch === "x86") {
      this.sendSignal(pid, "SIGBUS", null, 0, 0, "kill_me_now: Memory error not recovered (force_sig(SIGBUS))");
    } else if (hasChange(this.opts.kernel, "ghes-sync-task-work")) {
      this.sendSignal(pid, "SIGBUS", null, 0, 0, "memory_failure_cb: Sending SIGBUS due to hardware memory corruption (force_sig(SIGBUS))");
    } else {
      this.log.push({ kind: "policy", what: `pid ${pid}: synchronous error queued by GHES (memory_failure_queue_kick), recovery failed, no signal` });
    }
  }

  /** One access: fault if needed, then a load/store that consumes poison when it hits a bad frame. */
  private access(t: Task, addr: number, write: boolean, retry = true): AccessResult {
    const before = this.stepSignals.length;
    const done = (result: AccessResult["result"]): AccessResult => {
      const signals = this.stepSignals.slice(before).filter((s) => s.pid === t.pid);
      const killed = signals.some((s) => s.sig === "SIGKILL");
      return { result: killed ? "killed" : result === "ok" && signals.length > 0 ? "sigbus" : result, signals };
    };
    let w = walk(t, addr);
    if (w && w.pte.hwpoison) {
      // do_sigbus() for VM_FAULT_HWPOISON(_LARGE): lsb is PAGE_SHIFT, or, for a huge hwpoison entry,
      // the shift of the VMA's hstate (hugetlb_fault(): VM_FAULT_SET_HINDEX(hstate_index(h))) — also
      // after the poisoned folio itself was dissolved.
      const lsb = PAGE_SIZE_SHIFT[w.size];
      this.sendSignal(t.pid, "SIGBUS", "BUS_MCEERR_AR", addr, lsb, "access to a hwpoison entry");
      this.log.push({ kind: "fault", pid: t.pid, addr, result: "VM_FAULT_HWPOISON" });
      return done("sigbus");
    }
    if (!w) {
      const r = this.fault(t, addr, write);
      if (r !== "ok") return done(r);
      w = walk(t, addr);
      if (!w) return done("sigsegv");
    } else if (write) this.markDirty(t, addr);
    const raw = w.pte.pfn + Math.floor((addr - w.base) / 4096);
    // Only a real error is consumed: after MADV_HWPOISON the cells are fine, and a load from a
    // page that is still mapped (kept by a policy, an unsplit THP) simply returns the data.
    if (this.mem.isCorrupt(raw)) {
      // Poison consumed: x86 kill_me_maybe() or, on arm64, GHES for the synchronous external
      // abort call memory_failure(pfn, MF_ACTION_REQUIRED) in the task's own context.
      const r = memoryFailure(this, raw, MF_ACTION_REQUIRED, t.pid);
      const got = this.stepSignals.slice(before).some((s) => s.pid === t.pid);
      if (r.ret !== 0 && r.ret !== -EHWPOISON && r.ret !== -EOPNOTSUPP && !got) this.consumeFailed(t.pid);
      // kill_me_maybe() returns without a signal when recovery succeeded and nobody was signalled:
      // the task retries the access, which faults on the hwpoison entry (SIGBUS) or re-reads a
      // clean page that was dropped.
      if (r.ret === 0 && !got && retry) return this.access(t, addr, write, false);
      return done("sigbus");
    }
    return done("ok");
  }
}

/** Most pages one populate may fault in: each is a folio and a page-table entry in the model. */
export const MAX_POPULATE_PAGES = 1 << 18;

/** A populate is checked against the machine before any page is faulted in. */
function checkPopulate(m: Machine, bytes: number, unit: PageSize): void {
  const usable = (m.mem.nrFrames - m.mem.reservedFrames) * 4096;
  if (bytes > usable) {
    throw new ParameterError("length", `populating ${formatSize(bytes)} needs more than the machine's ${formatSize(usable)} of memory`, "populate less, or give the machine more memory");
  }
  const pages = Math.ceil(bytes / unitOf(unit));
  if (pages > MAX_POPULATE_PAGES) {
    throw new ParameterError("length", `populating ${formatSize(bytes)} in ${unit} pages faults in ${pages.toLocaleString("en-US")} pages; the model does at most ${MAX_POPULATE_PAGES.toLocaleString("en-US")} at once`, "populate a smaller range, or use huge pages");
  }
}

function maxIndex(as: MmAddressSpace): number {
  let m = 0;
  for (const f of as.pages.values()) m = Math.max(m, f.index + folioNrPages(f));
  return m;
}
