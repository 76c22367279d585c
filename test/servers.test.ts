// The course's servers stay private and stop cleanly (issue 11): `npm run docs:preview` and
// `npm run docs` listen on 127.0.0.1 only, and a SIGINT or SIGTERM to npm, or npm being killed
// outright, ends the server and everything it started. (`npm start` is in start.test.ts.)
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { accepts, freePort, outsideAddresses, processesWith, until } from "./servers.js";
import { buildSiteOnce, ROOT } from "./site/site-build.js";

const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) {
    try {
      if (c.pid) process.kill(-c.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

/** `npm run <script> -- --port <port>` in a process group of its own (as a terminal would run it). */
function npmRun(script: string, port: number): { child: ChildProcess; log: () => string } {
  let out = "";
  const child = spawn("npm", ["run", script, "--", "--port", String(port)], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, log: () => out };
}

async function expectGone(port: number, log: () => string): Promise<void> {
  await until(`port ${port} still accepts after the signal`, async () => !(await accepts("127.0.0.1", port)), 30_000, log);
  await until(`processes of port ${port} left`, () => processesWith(`--port\0${port}`).length === 0, 30_000, () => processesWith(`--port\0${port}`).join("\n"));
}

describe("the site's servers", () => {
  it("npm run docs:preview serves the built site on 127.0.0.1 only, and SIGTERM to npm ends it", { timeout: 300_000 }, async () => {
    await buildSiteOnce();
    const port = await freePort();
    const { child, log } = npmRun("docs:preview", port);
    await until("the preview did not start", () => accepts("127.0.0.1", port), 60_000, log);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    for (const addr of outsideAddresses()) expect(await accepts(addr, port), `the preview must not listen on ${addr}`).toBe(false);
    expect(log()).toMatch(/served on 127\.0\.0\.1 only/);
    process.kill(child.pid!, "SIGTERM");
    await expectGone(port, log);
  });

  it("npm run docs (dev server) listens on 127.0.0.1 only; SIGINT to npm ends it, and so does npm being killed", { timeout: 300_000 }, async () => {
    for (const sig of ["SIGINT", "SIGKILL"] as const) {
      const port = await freePort();
      const { child, log } = npmRun("docs", port);
      await until("the dev server did not start", () => accepts("127.0.0.1", port), 90_000, log);
      for (const addr of outsideAddresses()) expect(await accepts(addr, port), `the dev server must not listen on ${addr}`).toBe(false);
      // SIGKILL cannot be forwarded: the server notices that npm is gone.
      process.kill(child.pid!, sig);
      await expectGone(port, log);
    }
  });
});
