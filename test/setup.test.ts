// First-run set-up (scripts/setup.mjs): pip gets short network timeouts unless the user chose
// their own, so an unreachable package index fails within seconds with one clear message instead
// of being waited out; and pip's progress is printed line by line.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
// setup.mjs is plain ESM JavaScript shared with npm start/test.
const setup = (await import(join(ROOT, "scripts", "setup.mjs"))) as {
  pipEnv: (env?: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
  runPip: (python: string, args: string[], env?: NodeJS.ProcessEnv) => Promise<{ code: number; tail: string; seconds: number }>;
};

describe("set-up: pip never waits out an unreachable index", () => {
  it("passes the short timeouts CI uses, unless the user set their own", () => {
    const bare: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    expect(setup.pipEnv(bare)).toMatchObject({ PIP_RETRIES: "0", PIP_TIMEOUT: "3" });
    expect(setup.pipEnv({ ...bare, PIP_TIMEOUT: "30", PIP_RETRIES: "2" })).toMatchObject({ PIP_RETRIES: "2", PIP_TIMEOUT: "30" });
  });

  it("gives up on an index that accepts connections and never answers, after one short timeout", { timeout: 120_000 }, async () => {
    // A black hole on loopback: accepts, reads, never replies.
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      s.on("data", () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), "mfr-lab-pip-"));
    try {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, PIP_CONFIG_FILE: "/dev/null", PIP_NO_CACHE_DIR: "1" };
      const r = await setup.runPip(join(ROOT, ".venv", "bin", "python"), ["download", "--no-deps", "-d", dir, "--index-url", `http://127.0.0.1:${port}/simple`, "mfr-lab-no-such-package"], env);
      expect(r.code, "pip fails").not.toBe(0);
      expect(sockets.length, "pip reached the index once (no retries)").toBe(1);
      // A 3 s read timeout and no retries: well under a minute even on a busy machine (pip's own
      // default is 15 s × 5 retries, several minutes).
      expect(r.seconds).toBeLessThan(60);
      expect(r.tail).toMatch(/timed out|Read timed out|No matching distribution/i);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
