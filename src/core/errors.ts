/**
 * Typed errors. Every error a user can cause names what was wrong and what to do,
 * so the CLI, the grader and notebooks can print one clear line instead of a stack trace.
 */
export class MfrLabError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(hint ? `${message} (${hint})` : message);
    this.name = "MfrLabError";
  }
}

/** A parameter (flag, function argument, slider value) is out of range or malformed. */
export class ParameterError extends MfrLabError {
  constructor(readonly parameter: string, problem: string, hint?: string) {
    super(`${parameter}: ${problem}`, hint);
    this.name = "ParameterError";
  }
}

/** Throws a ParameterError unless `value` is a finite number within [min, max]. */
export function checkRange(parameter: string, value: number, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ParameterError(parameter, `expected a number, got ${String(value)}`);
  }
  if (value < min || value > max) {
    throw new ParameterError(parameter, `${value} is out of range`, `use a value from ${min} to ${max}`);
  }
  return value;
}

/** Throws a ParameterError unless `value` is an integer within [min, max]. */
export function checkInt(parameter: string, value: number, min: number, max: number): number {
  checkRange(parameter, value, min, max);
  if (!Number.isInteger(value)) {
    throw new ParameterError(parameter, `expected a whole number, got ${value}`);
  }
  return value;
}
