// mfr-lab: the command-line entry to the course's models, scenarios and grader.
// Exit codes: 0 ok, 1 a check failed (e.g. grading found failing exercises), 2 bad usage or input.
import { Command, CommanderError } from "commander";
import { MfrLabError } from "../core/errors.js";
import { registerTlb } from "./commands/tlb.js";
import { registerThpSplit } from "./commands/thp-split.js";
import { registerIotlb } from "./commands/iotlb.js";
import { registerMemoryLost } from "./commands/memory-lost.js";
import { registerPinLife } from "./commands/pin-life.js";
import { registerGmem } from "./commands/gmem.js";
import { registerZapCost } from "./commands/zap-cost.js";
import { registerGrade } from "./commands/grade.js";
import { registerLearn } from "./commands/learn.js";
import { registerProgress } from "./commands/progress.js";
import { registerScenario } from "./commands/scenario.js";
import { registerKernels } from "./commands/kernels.js";
import { registerPolicy } from "./commands/policy.js";

export function buildProgram(): Command {
  const program = new Command("mfr-lab")
    .description("MFR Lab: models of Linux memory-failure recovery, and the course's grader")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.split("\n")[0] + "\n") });
  registerTlb(program);
  registerThpSplit(program);
  registerIotlb(program);
  registerMemoryLost(program);
  registerPinLife(program);
  registerGmem(program);
  registerZapCost(program);
  registerGrade(program);
  registerLearn(program);
  registerProgress(program);
  registerScenario(program);
  registerKernels(program);
  registerPolicy(program);
  for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s.split("\n")[0] + "\n") });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every usage error has already been printed as one line.
      return e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.version" ? 0 : 2;
    }
    if (e instanceof MfrLabError) {
      process.stderr.write(`mfr-lab: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`mfr-lab: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.MFR_LAB_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
