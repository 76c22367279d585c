// `npm start` for real: scripts/start.mjs sets up what is missing, then JupyterLab must serve the
// course notebooks on 127.0.0.1 only, keep its token, offer no terminal, and start the TypeScript
// (tslab) kernel; a SIGTERM to `npm start` ends JupyterLab and its kernels.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accepts, freePort, outsideAddresses, processesWith } from "./servers.js";

const ROOT = join(__dirname, "..");

describe("npm start: JupyterLab with the course notebooks and the TypeScript kernel", { timeout: 120_000 }, () => {
  let child: ChildProcess | undefined;
  let port = 0;
  let token = "";
  let log = "";
  const api = (path: string, init: RequestInit = {}, withToken = true) =>
    fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers: { ...(withToken ? { Authorization: `token ${token}` } : {}), ...(init.headers ?? {}) } });

  beforeAll(async () => {
    port = await freePort();
    // The same entry point as `npm start`; extra flags go to JupyterLab.
    child = spawn(process.execPath, [join(ROOT, "scripts", "start.mjs"), "--no-browser", `--ServerApp.port=${port}`, "--ServerApp.port_retries=0"], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const onData = (b: Buffer) => (log += b.toString());
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const m = /http:\/\/127\.0\.0\.1:(\d+)\/lab\?token=([0-9a-f]+)/.exec(log);
      if (m) {
        token = m[2];
        break;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (!token) throw new Error(`JupyterLab did not print a 127.0.0.1 URL with a token within 90 s. Its output:\n${log}`);
  }, 120_000);

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      await new Promise((r) => setTimeout(r, 1500));
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  });

  it("says what it is doing, and listens on 127.0.0.1 only", async () => {
    expect(log, "start.mjs tells the user where to look").toMatch(/\[mfr-lab\] starting JupyterLab on 127\.0\.0\.1/);
    expect(await accepts("127.0.0.1", port), "JupyterLab accepts on loopback").toBe(true);
    const outside = outsideAddresses();
    for (const addr of outside) expect(await accepts(addr, port), `JupyterLab must not listen on ${addr}`).toBe(false);
  });

  it("offers no terminal (a shell as this user, a root shell when run as root)", async () => {
    const r = await api("/api/terminals", { method: "POST" });
    expect(r.status, "terminals are off (--ServerApp.terminals_enabled=False)").toBe(404);
    expect((await api("/api/terminals")).status).toBe(404);
  });

  it("keeps its token: the API refuses a request without it", async () => {
    expect((await api("/api/kernelspecs", {}, false)).status).toBe(403);
    expect((await api("/api/kernelspecs")).status).toBe(200);
  });

  it("serves every course notebook at its root", async () => {
    const listing = (await (await api("/api/contents")).json()) as { content: { name: string }[] };
    const served = listing.content.map((c) => c.name).filter((n) => n.endsWith(".ipynb")).sort();
    const onDisk = readdirSync(join(ROOT, "notebooks")).filter((n) => n.endsWith(".ipynb")).sort();
    expect(onDisk.length, "the course has notebooks").toBeGreaterThan(0);
    expect(served).toEqual(onDisk);
  });

  it("opens without the news pop-up: the project's settings overrides turn off news and update checks", async () => {
    const r = await api("/lab/api/settings/@jupyterlab/apputils-extension:notification");
    expect(r.status).toBe(200);
    // Overrides replace the schema's defaults, which is what JupyterLab uses unless the user chose.
    const s = (await r.json()) as { schema: { properties: Record<string, { default?: unknown }> } };
    expect(s.schema.properties.fetchNews.default, "jupyter/settings-overrides.json installed by scripts/setup.mjs").toBe("false");
    expect(s.schema.properties.checkForUpdates.default).toBe(false);
  });

  it("has the TypeScript kernel registered, and it starts", async () => {
    const specs = (await (await api("/api/kernelspecs")).json()) as { kernelspecs: Record<string, { spec: { language: string } }> };
    expect(Object.keys(specs.kernelspecs), "tslab is registered in .venv").toContain("tslab");
    expect(specs.kernelspecs.tslab.spec.language).toBe("typescript");
    const started = await api("/api/kernels", { method: "POST", body: JSON.stringify({ name: "tslab" }), headers: { "Content-Type": "application/json" } });
    expect(started.status, await started.clone().text()).toBe(201);
    const { id } = (await started.json()) as { id: string };
    // One cell over the server's websocket, as JupyterLab's notebook would send it: the course
    // library, imported the way the notebooks import it, computes a 1G folio's GFN count.
    const code = 'import { basePagesPer } from "./src/index.js";\nconst gfns: number = basePagesPer("1G");\ngfns';
    const r = spawnSync(join(ROOT, ".venv", "bin", "python"), [join(ROOT, "scripts", "kernel_roundtrip.py"), `http://127.0.0.1:${port}`, token, id, code], { encoding: "utf8", timeout: 90_000 });
    expect(r.status, `a TypeScript cell should run on the tslab kernel. ${r.stdout}${r.stderr}`).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { result: string | null; stream: string };
    expect((out.result ?? out.stream).trim(), "262,144 4K GFNs in a 1G folio, computed by the library in the kernel").toBe("262144");
    expect((await api(`/api/kernels/${id}`, { method: "DELETE" })).status).toBe(204);
  });
});

describe("npm start stops cleanly", { timeout: 180_000 }, () => {
  it("a SIGTERM to npm ends JupyterLab and everything it started; nothing is left listening", async () => {
    const port = await freePort();
    let out = "";
    const npm = spawn("npm", ["start", "--", "--no-browser", `--ServerApp.port=${port}`, "--ServerApp.port_retries=0"], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    npm.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    npm.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline && !(await accepts("127.0.0.1", port))) await new Promise((r) => setTimeout(r, 300));
      expect(await accepts("127.0.0.1", port), `JupyterLab did not start:\n${out}`).toBe(true);
      process.kill(npm.pid!, "SIGTERM");
      const mine = () => processesWith(`--ServerApp.port=${port}`);
      const gone = Date.now() + 30_000;
      while (Date.now() < gone && ((await accepts("127.0.0.1", port)) || mine().length > 0)) await new Promise((r) => setTimeout(r, 300));
      expect(await accepts("127.0.0.1", port), "JupyterLab still listens after SIGTERM to npm start").toBe(false);
      expect(mine(), "processes left after SIGTERM to npm start").toEqual([]);
    } finally {
      try {
        process.kill(-npm.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  });
});
