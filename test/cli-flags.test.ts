// Every flag of every command, by class (issue 11): a malformed value, a value out of range, a
// combination only another flag or the model can refuse, and work past what a laptop does in a
// few seconds. Each gets one line on stderr that names a flag the user typed, and exit code 2.
// The commands and flags are read from the CLI itself, so a new flag is covered when it is added.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildProgram, main } from "../src/cli/main.js";

const empty = mkdtempSync(join(tmpdir(), "mfr-lab-cli-flags-"));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

/** Runs the CLI in this process (a spawn per case would take minutes), capturing its output. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const ow = process.stdout.write;
  const ew = process.stderr.write;
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.exitCode = undefined;
  }
}

/** Valid values for a command's required flags, so a case fails only on the flag under test. */
const REQUIRED: Record<string, string[]> = {
  tlb: ["--entries", "64", "--page-size", "4K", "--working-set", "1M", "--accesses", "1000"],
  "thp-split": ["--fraction", "0.1"],
};
/** Flags that make a valid value cheap to run (grading an empty folder fails at once, naming it). */
const CHEAP: Record<string, string[]> = {
  grade: ["--exercises-dir", empty],
  learn: ["--exercises-dir", empty, "--once"],
  iotlb: ["--steps", "2", "--accesses", "1000"],
  gmem: ["--accesses", "100", "--dmas", "100"],
  "pin-life": ["--days", "4", "--errors", "1"],
  "memory-lost": ["--guest", "2G", "--folio", "1G"],
};

interface FlagCase {
  command: string;
  flag: string;
}
const program = buildProgram();
const valued: FlagCase[] = program.commands
  .filter((c) => c.name() !== "scenario")
  .flatMap((c) => c.options.filter((o) => (o.required || o.optional) && typeof o.parseArg === "function").map((o) => ({ command: c.name(), flag: o.long! })));

/** The args for one case: the cheap and required flags (unless under test), then the flag under test. */
function argsFor(c: FlagCase, value: string): string[] {
  const base = [...(CHEAP[c.command] ?? []), ...(REQUIRED[c.command] ?? [])];
  const kept: string[] = [];
  for (let i = 0; i < base.length; i++) {
    const isFlag = base[i].startsWith("--");
    const hasValue = isFlag && i + 1 < base.length && !base[i + 1].startsWith("--");
    if (base[i] === c.flag) {
      if (hasValue) i++;
      continue;
    }
    kept.push(base[i]);
    if (hasValue) kept.push(base[++i]);
  }
  return [c.command, ...kept, c.flag, value];
}

function expectOneLine(r: { code: number; out: string; err: string }, args: string[], mustName?: string): string {
  const what = `mfr-lab ${args.join(" ")}`;
  expect(r.code, `${what}: exit code (stderr: ${r.err})`).toBe(2);
  expect(r.out, `${what}: nothing on stdout`).toBe("");
  const lines = r.err.trim().split("\n");
  expect(lines, `${what}: one line on stderr`).toHaveLength(1);
  expect(r.err, `${what}: no stack trace`).not.toMatch(/\n\s+at \S+/);
  const typed = args.filter((a) => a.startsWith("--"));
  if (mustName) expect(lines[0], `${what}: names ${mustName}`).toContain(mustName);
  else expect(typed.some((f) => lines[0].includes(f)), `${what}: names a flag that was typed: ${lines[0]}`).toBe(true);
  // Never a parameter from inside the library instead of the flag.
  expect(lines[0], `${what}: no internal parameter name`).not.toMatch(/\b(workingSetBytes|regionBytes|tlb\.ways|memory \(pages\)|length: length)\b/);
  return lines[0];
}

describe("every flag, by class of bad value", () => {
  it("the CLI has value flags to test (read from the program)", () => {
    expect(valued.length).toBeGreaterThan(40);
  });

  it.each(["", "abc", "0x10", "NaN", "1e999", ",", "-Infinity"])("malformed value %j: exit 2, one line naming the flag", { timeout: 120_000 }, async (value) => {
    for (const c of valued) {
      const args = argsFor(c, value);
      expectOneLine(await cli(args), args, c.flag);
    }
  });

  it.each(["0", "-1", "1.5", "99999999999999999999"])("edge value %j: accepted, or refused in one line naming a flag that was typed", { timeout: 300_000 }, async (value) => {
    for (const c of valued) {
      const args = argsFor(c, value);
      const r = await cli(args);
      // grade/learn with an empty folder refuse the folder (a typed flag); everything else runs or names a flag.
      if (r.code === 0 || r.code === 1) continue;
      expectOneLine(r, args);
    }
  });
});

describe("values only another flag or the model can refuse name the flag the user typed", () => {
  it.each([
    [["iotlb", "--from", "0"], "--from"],
    [["iotlb", "--to", "1K"], "--to"],
    [["iotlb", "--from", "1G", "--to", "1M"], "--to"],
    [["iotlb", "--entries", "64", "--ways", "7"], "--ways"],
    [["tlb", "--entries", "64", "--ways", "7", "--page-size", "4K", "--working-set", "1M"], "--ways"],
    [["tlb", "--entries", "64", "--page-size", "4K", "--working-set", "0"], "--working-set"],
    [["memory-lost", "--guest", "0"], "--guest"],
    [["memory-lost", "--guest", "3M", "--folio", "2M"], "--guest"],
    [["memory-lost", "--guest", "2M", "--folio", "2M", "--errors", "1000"], "--errors"],
    [["pin-life", "--guest", "0"], "--guest"],
    [["pin-life", "--guest", "1536M"], "--guest"],
    [["pin-life", "--guest", "128G"], "--guest"],
    [["pin-life", "--errors", "40"], "--errors"],
    [["pin-life", "--policy", ""], "--policy"],
    [["gmem", "--memory", "17M", "--folio-size", "2M"], "--memory"],
    [["gmem", "--memory", "4M", "--folio-size", "2M", "--errors", "2000"], "--errors"],
    [["gmem", "--policy", "zap-folio,"], "--policy"],
    [["zap-cost", "--region", "1K"], "--region"],
    [["grade", "--timeout", "0x10"], "--timeout"],
    [["learn", "--timeout", ""], "--timeout"],
    [["grade", "--exercises-dir", "/nonexistent"], "--exercises-dir"],
  ])("%j names %s", async (args, flag) => {
    expectOneLine(await cli(args as string[]), args as string[], flag as string);
  });
});

describe("work past a few seconds is refused before it starts, saying what to lower", () => {
  it.each([
    [["pin-life", "--days", "10000", "--dma-per-day", "10000", "--errors", "9999"], ["--days", "--dma-per-day", "--errors"]],
    [["memory-lost", "--guest", "4T", "--folio", "2M"], ["--guest", "--folio 1G"]],
    [["memory-lost", "--guest", "64G", "--errors", "100000"], ["--errors"]],
    [["gmem", "--accesses", "10000000", "--dmas", "10000000"], ["--accesses", "--dmas"]],
    [["gmem", "--errors", "100000"], ["--errors"]],
    [["iotlb", "--steps", "200", "--accesses", "16777216"], ["--steps", "--accesses"]],
    [["tlb", "--entries", "64", "--page-size", "4K", "--working-set", "256G", "--pattern", "zipf"], ["--working-set", "--page-size"]],
  ])("%j", async (args, lower) => {
    const line = expectOneLine(await cli(args as string[]), args as string[]);
    expect(line).toMatch(/^mfr-lab: [\w-]+: the flags ask for [\d,]+ .* times what it does in a few seconds \(at most [\d,]+ /);
    for (const f of lower as string[]) expect(line, `says to lower ${f}`).toContain(f);
  });
});
