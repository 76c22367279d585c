// The op table's types: every scenario op says once what it means on the model (src/mfr and
// friends) and on a real kernel (an instruction for the kernel lab's in-guest agent), or why a
// mainline kernel cannot perform it. Browser-safe.
import type { PageTarget, StepOp, StepRecord, StepSpec } from "../types.js";
import type { Runner } from "../run.js";

export type StepOf<K extends StepOp> = Extract<StepSpec, { op: K }>;

/** What a step did on the model: the timeline's text and outcome (and a check's verdict). */
export interface StepExec {
  text: string;
  outcome: string;
  check?: StepRecord["check"];
}

/**
 * How replay reads the agent's answer to one instruction: "ret" is the step's own return value,
 * "acc" an access outcome, "setup" must succeed (a failure means the kernel could not set the
 * step up), "name" names a page (its pfn is kept for `previous`), "exit" a process leaving.
 */
export type ResultKind = "ret" | "acc" | "setup" | "name" | "spawn" | "exit" | "data";

/** A page the kernel side must name: the model's resolved choice, so random picks agree. */
export interface ResolvedTarget {
  mapping?: string;
  offset?: number;
  /** A length the model resolved (mmap's default length, populate's range). */
  length?: number;
  pool?: NonNullable<PageTarget["pool"]>;
  page?: number;
  pfn?: number;
  previous?: boolean;
}

/**
 * What an op's kernel side writes into the agent's program (src/fidelity/program.ts implements
 * it). Names are the scenario's; the emitter turns them into worker indices and slots.
 */
export interface KernelEmitter {
  /** Worker index of a process (started by an earlier spawn). */
  proc(name: string): number;
  spawn(name: string): number;
  /** The process that created a memfd. */
  owner(memfd: string): string;
  /** fd slot of `memfd` in `process` (creating one when `create`). */
  fdSlot(memfd: string, process: string, create?: boolean): number;
  /** Mapping slot and owner of a named mapping (creating one when `create` with its process). */
  mapSlot(mapping: string, create?: { process: string; length: number }): { proc: number; slot: number; length: number };
  /** The fault unit of a memfd when it is mapped: 0 4K, 2 2M THP, 3 2M HugeTLB, 4 1G HugeTLB. */
  memfdUnit(memfd: string, unit?: number): number;
  /** Slot of the pin taken at mapping + offset (creating one when `create`). */
  pinSlot(mapping: string, offset: number, create?: boolean): number;
  /** One agent instruction, and how replay reads its answer. */
  emit(line: string, kind: ResultKind): void;
  /** The scenario needs the VM's disk file system (ext4 on /mnt). */
  needDisk(): void;
  /** A sysctl/sysfs value to set before the scenario's steps (restored after it). */
  set(path: string, value: string): void;
  /** Emits instructions that leave the named page's pfn in the agent's $0. */
  namePage(t: ResolvedTarget): void;
  /** This step has no mainline equivalent: the kernel run stops here, with the reason. */
  modelOnly(reason: string): never;
}

/** One op: its meaning on the model, and on a kernel (or why a mainline kernel cannot do it). */
export interface OpDef<K extends StepOp = StepOp> {
  model(r: Runner, st: StepOf<K>): StepExec;
  kernel: ((k: KernelEmitter, st: StepOf<K>, resolved: ResolvedTarget | undefined) => void) | { modelOnly: string };
}

export type OpTable = { [K in StepOp]: OpDef<K> };
