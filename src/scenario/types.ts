// Scenario files: a machine, named processes, memfds and mappings, and a list of steps that
// drive src/mfr's Machine. The format is documented in scenarios/README.md. Names are
// symbolic ("vmm", "guest", "ram"), sizes and offsets are strings such as "4K" or "1G".
import type { InvariantName, MfrEvent } from "../mfr/events.js";
import type { MachineSummary } from "../mfr/invariants.js";
import type { MceKillPolicy, MfMsg, SigbusCode } from "../mfr/constants.js";
import type { PolicyVariant } from "../mfr/machine.js";
import type { MfResult } from "../mfr/result.js";

/** A size: bytes, or a string with a binary suffix ("4K", "2M", "1G", "640G"). */
export type SizeSpec = string | number;
/** An offset inside a mapping: a size, or "random" (a seeded random 4K page of the mapping). */
export type OffsetSpec = SizeSpec | "random";
export type HugeSize = "2M" | "1G";

/** Machine options (a subset of MachineOptions, same names and meaning). */
export interface MachineSpec {
  memory: SizeSpec;
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
}

/** A process started before the steps run. A bare string is a name with the default policy. */
export type ProcessSpec = string | { name: string; mceKill?: MceKillPolicy };

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
  | (StepBase & { op: "spawn"; process: string })
  | (StepBase & { op: "prctl"; process: string; mceKill: MceKillPolicy })
  | (StepBase & Omit<MemfdSpec, "name"> & { op: "memfd"; name: string })
  | (StepBase & { op: "share"; memfd: string; from?: string; to: string })
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
  /** madvise(MADV_HWPOISON) at mapping + offset by the mapping's process. */
  | (StepBase & { op: "madvise"; mapping: string; offset?: OffsetSpec })
  | (StepBase & { op: "pin"; mapping: string; offset?: SizeSpec })
  | (StepBase & { op: "unpin"; mapping: string; offset?: SizeSpec })
  | (StepBase & { op: "truncate"; memfd: string; size: SizeSpec; process?: string })
  | (StepBase & { op: "punch-hole"; memfd: string; offset: SizeSpec; length: SizeSpec; process?: string })
  | (StepBase & { op: "close"; memfd: string; process?: string })
  | (StepBase & { op: "exit"; process: string })
  | (StepBase & PageTarget & { op: "unpoison" })
  | (StepBase & PageTarget & { op: "soft-offline" })
  /** Assertions on the state so far; a failed check is reported (CLI exit code 1), the run goes on. */
  | (StepBase & { op: "check" } & CheckSpec);

export type StepOp = StepSpec["op"];

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
  /** Fields of the machine summary (4K frames). */
  summary?: Partial<Pick<MachineSummary, "poisoned" | "offlined" | "leaked" | "free" | "inUse" | "hugetlbFree" | "numPoisonedPages">>;
  /** Violations so far, by name (an empty list: none). */
  violations?: InvariantName[];
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
  mappings?: MappingSpec[];
  steps: StepSpec[];
  /**
   * Invariant violations this scenario shows on purpose (e.g. the v1-buggy release path).
   * Tests require exactly these, and `violationsExpected` in the result says whether they matched.
   */
  expectViolations?: InvariantName[];
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
  event: MfrEvent;
}

/** Final state: the machine summary (4K frames) plus each process's fate. */
export interface ScenarioFinal extends MachineSummary {
  processes: Record<string, { pid: number; alive: boolean; signals: number }>;
  /** vm.memory_failure_recovery = 0 and an error arrived: the run stopped at that step. */
  panicked: boolean;
}

export interface ScenarioResult {
  scenario: string;
  description?: string;
  seed: number;
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
  /** Overrides machine.checkEveryStep / machine.recordEvents (benchmarks). */
  checkEveryStep?: boolean;
  recordEvents?: boolean;
  /** Label used in error messages (the file name). Default: the scenario's name. */
  source?: string;
}
