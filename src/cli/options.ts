// The CLI's one flag-parsing layer. Every value a user types goes through a parser here, which
// turns a bad value into an InvalidArgumentError that commander reports as one line naming the
// flag (exit code 2, see main.ts). What one flag cannot check alone (a value that depends on
// another flag, or that only the model can refuse) is checked by `checkFlag` / `withFlags`, which
// also name the flag the user typed, never a parameter inside the library.
import { InvalidArgumentError } from "commander";
import { MfrLabError, ParameterError } from "../core/errors.js";
import { formatSize, parsePageSize, parseSize, type PageSize } from "../core/units.js";
import { DEFAULT_KERNEL_VERSION, KERNEL_VERSIONS, type KernelVersion } from "../mfr/kernel-version.js";

/** Decimal numbers only: "16", "-2.5", "1e3". Not "0x10" (which Number() reads as 16), "", "Infinity". */
const DECIMAL = /^\s*[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

function wrap<T>(fn: (v: string) => T): (v: string) => T {
  return (v: string) => {
    try {
      return fn(v);
    } catch (e) {
      if (e instanceof InvalidArgumentError) throw e;
      throw new InvalidArgumentError(e instanceof MfrLabError ? e.message.replace(/^[^:]*: /, "") : String(e));
    }
  };
}

const empty = (v: string): boolean => v.trim() === "";

export function intOption(min: number, max: number): (v: string) => number {
  return (v: string) => {
    if (empty(v)) throw new InvalidArgumentError(`the value is empty (use a whole number from ${min} to ${max}).`);
    const n = Number(v.replace(/_/g, ""));
    if (!/^\s*[-+]?\d[\d_]*\s*$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`"${v}" is not a whole number.`);
    if (n < min || n > max) throw new InvalidArgumentError(`${n} is out of range (use ${min} to ${max}).`);
    return n;
  };
}

export function numberOption(min: number, max: number): (v: string) => number {
  return (v: string) => {
    if (empty(v)) throw new InvalidArgumentError(`the value is empty (use a number from ${min} to ${max}).`);
    const n = Number(v.replace(/_/g, ""));
    if (!DECIMAL.test(v) || !Number.isFinite(n)) throw new InvalidArgumentError(`"${v}" is not a decimal number.`);
    if (n < min || n > max) throw new InvalidArgumentError(`${n} is out of range (use ${min} to ${max}).`);
    return n;
  };
}

/** A size ("4K", "2M", "640G", bytes) within [min, max] bytes. */
export function sizeOption(min = 0, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return wrap((v: string): number => {
    if (empty(v)) throw new InvalidArgumentError(`the value is empty (use a size from ${formatSize(min)} to ${formatSize(max)}, e.g. "4K", "2M", "1G").`);
    const n = parseSize(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${v.trim()} is out of range (use ${formatSize(min)} to ${formatSize(max)}).`);
    return n;
  });
}

/** A size checked like sizeOption but kept as typed ("8G"), for library calls that echo it in their output. */
export function sizeTextOption(min = 0, max = Number.MAX_SAFE_INTEGER): (v: string) => string {
  const parse = sizeOption(min, max);
  return (v: string): string => {
    parse(v);
    return v.trim();
  };
}

export const pageSizeOption = wrap((v: string): PageSize => {
  if (empty(v)) throw new InvalidArgumentError("the value is empty (use 4K, 2M or 1G).");
  return parsePageSize(v);
});

export function choiceOption<T extends string>(choices: readonly T[]): (v: string) => T {
  return (v: string) => {
    if ((choices as readonly string[]).includes(v)) return v as T;
    throw new InvalidArgumentError(`"${v}" is not one of ${choices.join(", ")}.`);
  };
}

/** A comma-separated list, each item parsed by `item`; an empty list or an empty item is an error. */
export function listOption<T>(item: (v: string) => T): (v: string) => T[] {
  return (v: string) => {
    if (empty(v)) throw new InvalidArgumentError("the list is empty (give at least one item, comma-separated).");
    const parts = v.split(",");
    if (parts.some((s) => s.trim() === "")) throw new InvalidArgumentError(`"${v}" has an empty item (separate items with single commas).`);
    return parts.map((s) => item(s.trim()));
  };
}

/**
 * A check that involves more than one flag, made before any work: `problem` is null when the
 * values are fine, else it is raised naming `flag` (the one to change).
 */
export function checkFlag(flag: string, problem: string | null, hint?: string): void {
  if (problem !== null) throw new ParameterError(flag, problem, hint);
}

/**
 * Calls the library; a ParameterError about one of `flags`' parameters (library name → CLI flag)
 * is raised again naming the flag, so a value only the model can check (e.g. more errors than
 * days) still comes out as one line naming what to change (main.ts prints it, exit code 2).
 * A parameter the table does not know is not shown under its internal name: the line says that
 * the model refused the flags' combination.
 */
export function withFlags<T>(flags: Readonly<Record<string, string>>, call: () => T): T {
  try {
    return call();
  } catch (e) {
    if (e instanceof ParameterError && !(e.parameter.startsWith("-"))) {
      const problem = e.message.slice(e.parameter.length + 2);
      if (Object.prototype.hasOwnProperty.call(flags, e.parameter)) throw new ParameterError(flags[e.parameter], problem);
      throw new MfrLabError(`the model refused this combination of flags: ${problem}`);
    }
    throw e;
  }
}

/** --kernel-version, on every command whose model depends on the kernel (scenario, memory-lost, pin-life). */
export const KERNEL_VERSION_FLAG = "--kernel-version <v>";
export const KERNEL_VERSION_HELP = `kernel whose behaviour to model: ${KERNEL_VERSIONS.join(" or ")} (default ${DEFAULT_KERNEL_VERSION})`;
export const kernelVersionOption: (v: string) => KernelVersion = choiceOption(KERNEL_VERSIONS);
