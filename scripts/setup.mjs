// First-run set-up shared by `npm start` and `npm test`: a project-local Python venv with
// JupyterLab + nbclient, and the tslab TypeScript kernel registered inside it.
// Idempotent and quick when everything is already there; says what it is doing when it isn't.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const VENV = join(ROOT, ".venv");
export const VENV_BIN = join(VENV, process.platform === "win32" ? "Scripts" : "bin");
const STAMP = join(VENV, ".mfr-lab-requirements");

function say(msg) {
  process.stderr.write(`[mfr-lab] ${msg}\n`);
}

function fail(msg) {
  say(`error: ${msg}`);
  process.exit(1);
}

function findPython() {
  for (const cand of [process.env.PYTHON, "python3", "python"].filter(Boolean)) {
    const r = spawnSync(cand, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" });
    if (r.status === 0) {
      const [maj, min] = r.stdout.trim().split(".").map(Number);
      if (maj === 3 && min >= 10) return cand;
      say(`${cand} is Python ${r.stdout.trim()}; the course needs Python ≥ 3.10`);
    }
  }
  fail("no Python ≥ 3.10 found. Install python3 (with the venv module) or set PYTHON=/path/to/python3.");
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], cwd: ROOT, env: process.env });
  if (r.status !== 0) fail(`${what} failed (exit ${r.status ?? r.signal}). See the output above.`);
}

/**
 * pip's environment: short network timeouts unless the user set their own, so an unreachable
 * package index fails within seconds instead of being waited out on every request (the values CI
 * uses). PIP_TIMEOUT is per socket read, so a slow but working download is not cut off.
 */
export function pipEnv(env = process.env) {
  return { ...env, PIP_RETRIES: env.PIP_RETRIES ?? "0", PIP_TIMEOUT: env.PIP_TIMEOUT ?? "3", PIP_DISABLE_PIP_VERSION_CHECK: "1" };
}

/** Runs pip and prints one progress line per package it collects or installs. */
export function runPip(python, args, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(python, ["-m", "pip", ...args, "--progress-bar", "off"], { cwd: ROOT, env: pipEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    const t0 = Date.now();
    let tail = "";
    let buf = "";
    const onOut = (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        const m = /^(Collecting|Installing collected packages|Successfully installed)\s*(.*)$/.exec(line);
        if (m) say(`  pip: ${m[1].toLowerCase()} ${m[2].split(" ").slice(0, 6).join(" ")}${m[2].split(" ").length > 6 ? " …" : ""} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      }
    };
    child.stdout.on("data", onOut);
    child.stderr.on("data", (d) => (tail = (tail + d).slice(-4000)));
    child.on("close", (code) => resolve({ code, tail, seconds: (Date.now() - t0) / 1000 }));
  });
}

/** JupyterLab settings the course ships (no news pop-up over the charts), as a namespaced override. */
export function ensureLabSettings(prefix = VENV) {
  const src = join(ROOT, "jupyter", "settings-overrides.json");
  const dir = join(prefix, "share", "jupyter", "lab", "settings", "overrides.d");
  const dest = join(dir, "mfr-lab.json");
  if (existsSync(dest) && readFileSync(dest, "utf8") === readFileSync(src, "utf8")) return;
  mkdirSync(dir, { recursive: true });
  copyFileSync(src, dest);
}

export async function ensurePython() {
  const req = readFileSync(join(ROOT, "requirements.txt"), "utf8");
  const want = createHash("sha256").update(req).digest("hex");
  const jupyter = join(VENV_BIN, "jupyter");
  if (existsSync(jupyter) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === want) return;
  if (!existsSync(join(VENV_BIN, "python"))) {
    const py = findPython();
    say("first run: creating the Python environment in .venv/ …");
    run(py, ["-m", "venv", VENV], "python3 -m venv .venv (on Debian/Ubuntu: apt install python3-venv)");
  }
  const env = pipEnv();
  say(`installing JupyterLab and the notebook runner into .venv/ (about 20–60 s, once; pip timeout ${env.PIP_TIMEOUT} s, ${env.PIP_RETRIES} retries — set PIP_TIMEOUT/PIP_RETRIES to change) …`);
  const r = await runPip(join(VENV_BIN, "python"), ["install", "-r", join(ROOT, "requirements.txt")]);
  if (r.code !== 0) {
    process.stderr.write(r.tail);
    fail(`pip install -r requirements.txt failed after ${r.seconds.toFixed(0)} s (exit ${r.code}). If the package index cannot be reached, check your network or pip's index settings, then run the command again.`);
  }
  say(`Python packages installed in ${r.seconds.toFixed(0)} s.`);
  writeFileSync(STAMP, want);
}

export function ensureKernel() {
  const spec = join(VENV, "share", "jupyter", "kernels", "tslab", "kernel.json");
  const tslab = join(ROOT, "node_modules", ".bin", "tslab");
  if (!existsSync(tslab)) fail("node_modules/.bin/tslab is missing: run `npm install` first.");
  if (existsSync(spec) && readFileSync(spec, "utf8").includes(tslab)) return;
  say("registering the TypeScript kernel (tslab) in .venv/ …");
  execFileSync(process.execPath, [join(ROOT, "node_modules", "tslab", "bin", "tslab"), "install", "--sys-prefix", "--python", join(VENV_BIN, "python"), "--binary", tslab], {
    stdio: ["ignore", "ignore", "inherit"],
    cwd: ROOT,
  });
}

export async function ensureAll() {
  await ensurePython();
  ensureKernel();
  ensureLabSettings();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureAll();
  say("set-up complete.");
}
