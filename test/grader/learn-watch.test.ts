// `mfr-lab learn` in a real terminal (rustlings' watch mode): the CLI runs under a pseudo-terminal
// (util-linux `script`), keys go to it as a student types them, and saving the file re-runs the
// exercise. Runs on a temporary copy of exercises/, never on the student's own files.
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadProgress } from "../../src/grader/progress.js";
import { freshCopy, list, removeCopies, ROOT, solveWithReference } from "./fresh-copy.js";

afterAll(() => removeCopies());

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
// util-linux `script` (Linux) or BSD `script` (macOS): both run a command under a new terminal.
const utilLinux = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
const scriptArgs = (cmd: string): string[] | null =>
  utilLinux ? ["-qfec", cmd, "/dev/null"] : process.platform === "darwin" ? ["-q", "/dev/null", "sh", "-c", cmd] : null;

describe("mfr-lab learn (watch mode in a terminal)", () => {
  it("has a `script` command to give the CLI a terminal", () => {
    expect(scriptArgs("true"), "install util-linux (bsdutils on Debian) for the `script` command").not.toBeNull();
  });

  it("runs the first exercise, shows a hint on h, re-runs on save, moves on when it passes, records progress, quits on q", { timeout: 120_000 }, async () => {
    const dir = freshCopy();
    const [first, second] = list;
    const cmd = [process.execPath, join(ROOT, "bin", "mfr-lab.mjs"), "learn", "--exercises-dir", dir, "--timeout", "30"].map(quote).join(" ");
    const child = spawn("script", scriptArgs(cmd) ?? [], { cwd: ROOT, env: { ...process.env, TERM: "dumb", NO_COLOR: "1" } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    /** Waits until the output after `from` matches; returns the index just past the match. */
    const waitFor = async (re: RegExp, from: number, what: string): Promise<number> => {
      const t0 = Date.now();
      for (;;) {
        const m = re.exec(out.slice(from));
        if (m) return from + m.index + m[0].length;
        if (Date.now() - t0 > 60_000) throw new Error(`learn never printed ${what}; it printed:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      let at = await waitFor(new RegExp(`Exercise ${first.chapter}\\.1 \\(1 of ${list.length}\\): ${first.id}`), 0, "the first exercise's header");
      at = await waitFor(new RegExp(`Edit exercises/${first.id}/${first.file} and save`), at, "that the stub does not pass yet");
      expect(out).toContain(`✗ ${first.id} does not pass yet`);
      expect(loadProgress(dir).solved, "nothing solved yet").toEqual([]);

      child.stdin.write("h");
      at = await waitFor(new RegExp(`Hint 1 of \\d+ for ${first.id}`), at, "hint 1 after pressing h");

      solveWithReference(dir, first); // the student saves a correct solution
      at = await waitFor(new RegExp(`✓ ${first.id} passes`), at, "a pass after the file was saved");
      at = await waitFor(/What this shows:/, at, "the recap after a pass");
      at = await waitFor(new RegExp(`Compare with the reference solution: exercises/${first.id}/\\.meta/reference\\.ts`), at, "the reference solution offered after a pass");
      at = await waitFor(/Moving on\./, at, "'Moving on.'");
      at = await waitFor(new RegExp(`Exercise ${second.chapter}\\.\\d+ \\(2 of ${list.length}\\): ${second.id}`), at, "the second exercise's header");
      expect(loadProgress(dir).solved, "the pass is recorded in .mfr-lab/progress.json").toEqual([first.id]);
      at = await waitFor(new RegExp(`Edit exercises/${second.id}/${second.file} and save`), at, "the second exercise's first run");

      child.stdin.write("q");
      await waitFor(/Bye\. Your progress is saved/, at, "goodbye after q");
      expect(await exited, "learn exits cleanly on q").toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
