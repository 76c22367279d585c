// Errors of the kernel lab: one line for the user, what was wrong and what to do (CLI exit 2).
import { MfrLabError } from "../core/errors.js";

export class KernelLabError extends MfrLabError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = "KernelLabError";
  }
}
