// Option parsers for commander: each turns a bad value into an InvalidArgumentError, which
// commander reports as one line naming the flag (exit code 2, see main.ts).
import { InvalidArgumentError } from "commander";
import { MfrLabError, ParameterError } from "../core/errors.js";
import { parsePageSize, parseSize, type PageSize } from "../core/units.js";
import { DEFAULT_KERNEL_VERSION, KERNEL_VERSIONS, type KernelVersion } from "../mfr/kernel-version.js";

function wrap<T>(fn: (v: string) => T): (v: string) => T {
  return (v: string) => {
    try {
      return fn(v);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof MfrLabError ? e.message.replace(/^[^:]*: /, "") : String(e));
    }
  };
}

export function intOption(min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v.replace(/_/g, ""));
    if (!/^\s*[-+]?[\d_]+\s*$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`"${v}" is not a whole number.`);
    if (n < min || n > max) throw new InvalidArgumentError(`${n} is out of range (use ${min} to ${max}).`);
    return n;
  };
}

export function numberOption(min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`"${v}" is not a number.`);
    if (n < min || n > max) throw new InvalidArgumentError(`${n} is out of range (use ${min} to ${max}).`);
    return n;
  };
}

export const sizeOption = wrap((v: string): number => parseSize(v));
/** A size checked like sizeOption but kept as typed ("8G"), for library calls that echo it in their output. */
export const sizeTextOption = wrap((v: string): string => {
  parseSize(v);
  return v.trim();
});
export const pageSizeOption = wrap((v: string): PageSize => parsePageSize(v));

export function choiceOption<T extends string>(choices: readonly T[]): (v: string) => T {
  return (v: string) => {
    if ((choices as readonly string[]).includes(v)) return v as T;
    throw new InvalidArgumentError(`"${v}" is not one of ${choices.join(", ")}.`);
  };
}

/** A comma-separated list, each item parsed by `item`. */
export function listOption<T>(item: (v: string) => T): (v: string) => T[] {
  return (v: string) => v.split(",").filter((s) => s.trim() !== "").map((s) => item(s.trim()));
}

/**
 * Calls the library; a ParameterError about one of `flags`' parameters (library name → CLI flag)
 * is raised again naming the flag, so a value only the model can check (e.g. more errors than
 * days) still comes out as one line naming what to change (main.ts prints it, exit code 2).
 */
export function withFlags<T>(flags: Readonly<Record<string, string>>, call: () => T): T {
  try {
    return call();
  } catch (e) {
    if (e instanceof ParameterError && Object.prototype.hasOwnProperty.call(flags, e.parameter)) {
      throw new ParameterError(flags[e.parameter], e.message.slice(e.parameter.length + 2));
    }
    throw e;
  }
}

/** --kernel-version, on every command whose model depends on the kernel (scenario, memory-lost, pin-life). */
export const KERNEL_VERSION_FLAG = "--kernel-version <v>";
export const KERNEL_VERSION_HELP = `kernel whose behaviour to model: ${KERNEL_VERSIONS.join(" or ")} (default ${DEFAULT_KERNEL_VERSION})`;
export const kernelVersionOption: (v: string) => KernelVersion = choiceOption(KERNEL_VERSIONS);
