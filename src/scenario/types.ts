// Scenario files: a machine, named processes, memfds and mappings, and a list of steps that
// drive src/mfr's Machine. The format is documented in scenarios/README.md. Names are
// symbolic ("vmm", "guest", "ram"), sizes and offsets are strings such as "4K" or "1G".
import type { InvariantName, MfrEvent } from "../mfr/events.js";
import type { MachineSummary } from "../mfr/invariants.js";
import type { MceKillPolicy, MfMsg, SigbusCode } from "../mfr/constants.js";
import type { PolicyVariant } from "../mfr/machine.js";
import type { KernelVersion } from "../mfr/kernel-version.js";
import type { MfResult } from "../mfr/result.js";
import type { PinPolicy } from "../iommufd/iommufd.js";
import type { ResolvedTarget } from "./ops/types.js";

/** A size: bytes, or a string with a binary suffix ("4K", "2M", "1G", "640G"). */
export type SizeSpec = string | number;
/** An offset inside a mapping: a size, or "random" (a seeded random 4K page of the mapping). */
export type OffsetSpec = SizeSpec | "random";
export type HugeSize = "2M" | "1G";

/** Machine options (a subset of MachineOptions, same names and meaning). */
export interface MachineSpec {
  memory: SizeSpec;
  /** The kernel whose behaviour the model follows where 6.12 and 7.3 differ (default "7.3"); the kernel lab boots this one. */
  kernel?: KernelVersion;
  /** How a consumed error arrives: "x86" machine check (default) or "arm64" SEA through GHES. */
  arch?: "x86" | "arm64";
  /** vm.panic_on_unrecoverable_memory_failure (7.3 only). */
  panicOnUnrecoverableMemoryFailure?: boolean;
  reserved?: SizeSpec;
  hugetlb?: Partial<Record<HugeSize, number>>;
  hvo?: boolean;
  hvoRestoreFails?: boolean;
  rawHwpAllocFails?: boolean;
  earlyKill?: boolean;
  enableSoftOffline?: boolean;
  memoryFailureRecovery?: boolean;
  policyVariant?: PolicyVariant;
  killOnUnmapFailure?: "sigbus" | "sigkill";
  unmapFails?: boolean;
  freeHasHwpoisoned?: boolean;
  recordEvents?: boolean;
  checkEveryStep?: boolean;
  /**
   * What filemap_offline_hwpoison_folio() does with a DMA-pinned folio: "try" (the RFC as posted)
   * or "ebusy" (Jiaqi Yan, 21 Jan 2025). An iommufd step with policy "ebusy" sets "ebusy" when unset.
   */
  offlinePinned?: "try" | "ebusy";
}

/**
 * A process started before the steps run. A bare string is a name with the default policy and
 * root's capabilities; `capSysAdmin: false` drops CAP_SYS_ADMIN (then MADV_HWPOISON is -EPERM).
 */
export type ProcessSpec = string | { name: string; mceKill?: MceKillPolicy; capSysAdmin?: boolean };

/**
 * A regular file on a disk file system (ext4), created and opened by `process` before the steps
 * (open(O_CREAT|O_TRUNC) + ftruncate). Steps name it like a memfd: `file:` or `memfd:`.
 */
export interface FileSpec {
  name: string;
  process: string;
  size: SizeSpec;
  sharedWith?: string[];
}

/** memfd_create() (+ ftruncate to size) by `process`, before the steps run. */
export interface MemfdSpec {
  name: string;
  process: string;
  size: SizeSpec;
  hugetlb?: HugeSize;
  /** MFD_MF_KEEP_UE_MAPPED (the RFC's flag): keep the poisoned huge page mapped. */
  keepUeMapped?: boolean;
  /** A shmem memfd with 2M THP folios. */
  thp?: boolean;
  /** Other processes that receive an fd of this memfd (SCM_RIGHTS). */
  sharedWith?: string[];
}

/**
 * mmap() by `process` before the steps run: of a memfd (shared) or anonymous (private).
 * `populate` touches every page afterwards (MAP_POPULATE-like; writes, so pages are dirty).
 */
export interface MappingSpec {
  name: string;
  process: string;
  memfd?: string;
  /** Default: the memfd's size (memfd mappings) — required for anonymous ones. */
  length?: SizeSpec;
  offset?: SizeSpec;
  /** Anonymous memory that may use 2M THPs. */
  thp?: boolean;
  /** Anonymous MAP_HUGETLB memory. */
  hugetlb?: HugeSize;
  populate?: boolean;
}

/** Which physical page an error hits. Exactly one of pfn, mapping, pool or previous. */
export interface PageTarget {
  /** The page the previous poison/unpoison/soft-offline step named (e.g. "the same error reported again"). */
  previous?: true;
  /** A raw page frame number. */
  pfn?: number;
  /** The page behind a mapping (its process's address mapping.start + offset), as /proc/pid/pagemap finds it. */
  mapping?: string;
  offset?: OffsetSpec;
  /** A page that no process uses: the first free buddy block, a free hugetlb pool folio, or a reserved kernel frame. */
  pool?: "buddy" | "hugetlb-2M" | "hugetlb-1G" | "kernel";
  /** 4K page index inside the pool block / folio (default 0), or "random". */
  page?: number | "random";
}

interface StepBase {
  /** Free text shown in the timeline. */
  note?: string;
}

export type StepSpec =
  | (StepBase & { op: "spawn"; process: string; capSysAdmin?: boolean })
  | (StepBase & { op: "prctl"; process: string; mceKill: MceKillPolicy })
  | (StepBase & Omit<MemfdSpec, "name"> & { op: "memfd"; name: string })
  | (StepBase & { op: "share"; memfd: string; from?: string; to: string })
  /** A regular file on the disk file system (ext4), opened by `process`. */
  | (StepBase & Omit<FileSpec, "name"> & { op: "file"; name: string })
  /** pread(2)/pwrite(2) of [offset, offset + length) of an open file (a memfd or a disk file), by `process` (default its creator). */
  | (StepBase & { op: "pread" | "pwrite"; memfd: string; offset?: SizeSpec; length: SizeSpec; process?: string })
  /** fsync(2): writes a disk file's dirty pages back and reports a writeback error (-EIO) once. */
  | (StepBase & { op: "fsync"; memfd: string; process?: string })
  | (StepBase & Omit<MappingSpec, "name"> & { op: "mmap"; name: string })
  | (StepBase & { op: "munmap"; mapping: string })
  /** A store (touch, write) or a load (read) at mapping + offset, by the mapping's process. */
  | (StepBase & { op: "touch" | "write" | "read"; mapping: string; offset?: OffsetSpec })
  | (StepBase & { op: "populate"; mapping: string; offset?: SizeSpec; length?: SizeSpec })
  /**
   * A hardware error: memory_failure(pfn, flags). `actionRequired` sets MF_ACTION_REQUIRED (the
   * error was consumed by `current`, default the mapping's process); without it the error is
   * action optional (found by the patrol scrubber, reported by CMCI/UCNA).
   */
  | (StepBase & PageTarget & { op: "poison"; actionRequired?: boolean; current?: string; swSimulated?: boolean })
  /** madvise(MADV_HWPOISON) (default) or madvise(MADV_SOFT_OFFLINE) at mapping + offset by the mapping's process. */
  | (StepBase & { op: "madvise"; mapping: string; offset?: OffsetSpec; advice?: "hwpoison" | "soft-offline" })
  | (StepBase & { op: "pin"; mapping: string; offset?: SizeSpec })
  | (StepBase & { op: "unpin"; mapping: string; offset?: SizeSpec })
  | (StepBase & { op: "truncate"; memfd: string; size: SizeSpec; process?: string })
  | (StepBase & { op: "punch-hole"; memfd: string; offset: SizeSpec; length: SizeSpec; process?: string })
  | (StepBase & { op: "close"; memfd: string; process?: string })
  | (StepBase & { op: "exit"; process: string })
  | (StepBase & PageTarget & { op: "unpoison" })
  | (StepBase & PageTarget & { op: "soft-offline" })
  // ---- iommufd and VFIO type1 (src/iommufd) ----
  /**
   * open("/dev/iommu") by `process`: an iommufd context named `name`, with the policy for memory
   * failure on pinned memory ("none" mainline, "ebusy", "revoke") and, for "revoke", whether a
   * memory_failure() revokes too (revokeOnPoison, default true) or only truncate/punch hole.
   */
  | (StepBase & { op: "iommufd"; name: string; process: string; policy?: PinPolicy; revokeOnPoison?: boolean; accountMode?: "user" | "mm"; iotlbEntries?: number })
  /** IOMMU_IOAS_ALLOC in iommufd context `iommufd`. */
  | (StepBase & { op: "ioas"; name: string; iommufd: string })
  /** A device attached to an IOAS (or to a VFIO container): it DMAs through that IO page table. */
  | (StepBase & { op: "attach"; device: string; ioas?: string; vfio?: string })
  /** IOMMU_IOAS_MAP of [mapping + offset, + length) of the mapping's process (length: default the rest of the mapping). `name` names the area. */
  | (StepBase & { op: "map"; ioas: string; mapping: string; offset?: SizeSpec; length?: SizeSpec; iova?: SizeSpec; name?: string })
  /** IOMMU_IOAS_MAP_FILE of memfd `memfd` from `start` (default 0) for `length` (default the rest), with `process`'s fd (default the creator). */
  | (StepBase & { op: "map-file"; ioas: string; memfd: string; process?: string; start?: SizeSpec; length?: SizeSpec; iova?: SizeSpec; name?: string })
  /** IOMMU_IOAS_UNMAP of an area (by name) or of [iova, iova + length). */
  | (StepBase & { op: "ioas-unmap"; ioas: string; area?: string; iova?: SizeSpec; length?: SizeSpec })
  /** IOMMU_IOAS_COPY of area `area` (of IOAS `from`) into IOAS `to` at `iova` (default: chosen); the pages are shared, not pinned again. */
  | (StepBase & { op: "ioas-copy"; from: string; area: string; to: string; iova?: SizeSpec; name?: string })
  /** One DMA (a write unless `read`) by `device` at area + offset, or at `iova`. */
  | (StepBase & { op: "dma"; device: string; area?: string; offset?: SizeSpec; iova?: SizeSpec; read?: boolean })
  /** close() of the iommufd: destroys every IOAS, unmaps and unpins (destroy never fails). */
  | (StepBase & { op: "iommufd-close"; iommufd: string })
  /** A VFIO container with the type1 backend, owned by `process`. */
  | (StepBase & { op: "vfio"; name: string; process: string })
  /** VFIO_IOMMU_MAP_DMA of [mapping + offset, + length) at `iova`; `name` names the vfio_dma. */
  | (StepBase & { op: "vfio-map"; vfio: string; mapping: string; offset?: SizeSpec; length?: SizeSpec; iova: SizeSpec; name?: string })
  /** VFIO_IOMMU_UNMAP_DMA of a vfio_dma (by name) or of [iova, iova + length). */
  | (StepBase & { op: "vfio-unmap"; vfio: string; area?: string; iova?: SizeSpec; length?: SizeSpec })
  /** Closing the VFIO container: every vfio_dma is unmapped and unpinned. */
  | (StepBase & { op: "vfio-close"; vfio: string })
  /** setrlimit(RLIMIT_MEMLOCK) of `process` (bytes, or "unlimited") and CAP_IPC_LOCK. */
  | (StepBase & { op: "memlock"; process: string; limit?: SizeSpec | "unlimited"; capIpcLock?: boolean })
  /** Assertions on the state so far; a failed check is reported (CLI exit code 1), the run goes on. */
  | (StepBase & { op: "check" } & CheckSpec);

/** The outcome of a device DMA (src/iommufd DmaResult). */
export type DmaOutcome = "ok" | "io-page-fault" | "poison" | "offlined" | "freed";

/**
 * Pinning checks (pinRegistry(m).metrics(), machine-wide): sizes in bytes or "2M"/"1G", counts
 * cumulative since the start.
 */
export interface PinCheck {
  pinned?: SizeSpec;
  heldBack?: SizeSpec;
  pending?: SizeSpec;
  leaked?: SizeSpec;
  dmas?: number;
  dmaToPoison?: number;
  dmaToOffline?: number;
  ioPageFaults?: number;
  invalidations?: number;
  revokes?: number;
}

/** RLIMIT_MEMLOCK accounting of a process: user->locked_vm (of its uid), mm->locked_vm, mm->pinned_vm. */
export interface AccountingCheck {
  process: string;
  userLockedVm?: SizeSpec;
  mmLockedVm?: SizeSpec;
  pinnedVm?: SizeSpec;
}

export type StepOp = StepSpec["op"];

/** What pagemap shows behind a virtual address: a present page, a hwpoison (swap-type) entry, or nothing. */
export type PageState = "present" | "hwpoison" | "none";

/** What a `check` step asserts. Every field is optional; all given ones must hold. */
export interface CheckSpec {
  /** The previous step's memory_failure()/madvise/unpoison/soft-offline outcome. */
  last?: { ret?: number; type?: MfMsg; result?: MfResult };
  /** The previous step's access outcome (touch/read/write). */
  access?: "ok" | "sigbus" | "sigsegv" | "killed";
  /** The most recent signal delivered to `process` (null: none so far). */
  signal?: { process: string; sig?: "SIGBUS" | "SIGKILL"; code?: SigbusCode | null; lsb?: number; offset?: SizeSpec } | { process: string; none: true };
  /** Signals delivered to a process so far. */
  signalCount?: { process: string; count: number };
  alive?: Record<string, boolean>;
  hugetlb?: Partial<Record<HugeSize, { nr?: number; free?: number }>>;
  /**
   * HardwareCorrupted (bytes, or "4K") and the per-node memory_failure counters
   * (/sys/devices/system/node/node0/memory_failure/*), counted since the scenario began.
   */
  counters?: { hardwareCorrupted?: SizeSpec; total?: number; ignored?: number; failed?: number; delayed?: number; recovered?: number };
  /** The page behind mapping + offset: its pagemap state, and whether it is another frame than the one the last poison/madvise/unpoison/soft-offline step named. */
  page?: { mapping: string; offset?: SizeSpec; state?: PageState; moved?: boolean };
  /** Fields of the machine summary (4K frames). */
  summary?: Partial<Pick<MachineSummary, "poisoned" | "offlined" | "leaked" | "free" | "inUse" | "hugetlbFree" | "numPoisonedPages">>;
  /** Violations so far, by name (an empty list: none). */
  violations?: InvariantName[];
  /** The return value of the most recent step that has one (map, unmap, vfio-map, memory_failure…), e.g. -12 (-ENOMEM). */
  ret?: number;
  /** The outcome of the most recent dma step. */
  dma?: DmaOutcome;
  /** Pinning metrics (iommufd and VFIO). */
  pins?: PinCheck;
  accounting?: AccountingCheck;
}

/** A whole scenario file. */
export interface ScenarioSpec {
  name: string;
  description?: string;
  /** Seed of the Rng behind every "random" offset/page (default 1; the CLI's --seed overrides it). */
  seed?: number;
  machine: MachineSpec;
  processes?: ProcessSpec[];
  memfds?: MemfdSpec[];
  /** Regular files on the disk file system, created after the memfds. */
  files?: FileSpec[];
  mappings?: MappingSpec[];
  steps: StepSpec[];
  /**
   * Invariant violations this scenario shows on purpose (e.g. the v1-buggy release path).
   * Tests require exactly these, and `violationsExpected` in the result says whether they matched.
   */
  expectViolations?: InvariantName[];
  /** The kernel functions that decide what the scenario shows (file#function), for the Fidelity page. */
  decidedBy?: string[];
  /** The scenario panics the kernel on purpose (vm.memory_failure_recovery = 0): a panic is its expected end. */
  expectPanic?: boolean;
}

// ---------------------------------------------------------------------------- run results

/** One executed action: a setup entry (processes[0], memfds[1], mappings[0]) or a step. */
export interface StepRecord {
  /** Position in the run (0-based, setup entries first). */
  index: number;
  /** Where it came from in the file: "processes[0]", "memfds[0]", "mappings[0]", "steps[3]". */
  path: string;
  op: StepOp;
  /** What was done, with symbolic names: "vmm: madvise(MADV_HWPOISON) ram+28K". */
  text: string;
  /** What it returned: "ok", "sigbus", "ret 0 MF_MSG_HUGE MF_RECOVERED", "fd 3", "-EINVAL". */
  outcome: string;
  /** memory_failure()-like return value, when the step has one. */
  ret?: number;
  /** The outcome of a touch/read/write step. */
  access?: "ok" | "sigbus" | "sigsegv" | "killed";
  /** The per-node memory_failure counters, HardwareCorrupted (bytes) and HugeTLB pools after the step. */
  after?: {
    counters: { hardwareCorrupted: number; total: number; ignored: number; failed: number; delayed: number; recovered: number };
    hugetlb: { "2M": { nr: number; free: number }; "1G": { nr: number; free: number } };
  };
  /** What the model resolved for this step (random offsets, pool pages, default lengths): the kernel lab replays the same choice. */
  resolved?: ResolvedTarget;
  /** For check steps: whether every assertion held, and the failures. */
  check?: { ok: boolean; failures: string[] };
  note?: string;
}

/** One machine event, stamped with the step that caused it and told with symbolic names. */
export interface TimelineEntry {
  /** StepRecord.index of the step that produced it. */
  step: number;
  path: string;
  kind: MfrEvent["kind"];
  /** The process the event is about, by scenario name (signal, unmap, fault). */
  process?: string;
  /** One line: "vmm: SIGBUS BUS_MCEERR_AR at ram+28K lsb 12". */
  text: string;
  /** For a signal: the mapping its address fell in and the offset there. */
  at?: { mapping: string; offset: number };
  event: MfrEvent;
}

/** Final state: the machine summary (4K frames) plus each process's fate. */
export interface ScenarioFinal extends MachineSummary {
  processes: Record<string, { pid: number; alive: boolean; signals: number }>;
  /** The kernel panicked (vm.memory_failure_recovery = 0, or vm.panic_on_unrecoverable_memory_failure = 1 on an unrecoverable kernel page): the run stopped at that step. */
  panicked: boolean;
}

export interface ScenarioResult {
  scenario: string;
  description?: string;
  seed: number;
  /** The kernel the model followed (machine.kernel, or the --kernel-version override). */
  kernel: KernelVersion;
  steps: StepRecord[];
  events: TimelineEntry[];
  violations: TimelineEntry[];
  /** Failed assertions of check steps, "steps[5]: …". */
  checkFailures: string[];
  /** expectViolations given: whether the violation names found equal them (as sets). */
  violationsExpected: boolean;
  final: ScenarioFinal;
}

export interface RunOptions {
  /** Overrides the file's seed. */
  seed?: number;
  /** Overrides machine.kernel. */
  kernel?: KernelVersion;
  /** Overrides machine.checkEveryStep / machine.recordEvents (benchmarks). */
  checkEveryStep?: boolean;
  recordEvents?: boolean;
  /** Label used in error messages (the file name). Default: the scenario's name. */
  source?: string;
}
