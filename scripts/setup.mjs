// First-run set-up shared by `npm start` and `npm test`: a project-local Python venv with
// JupyterLab + nbclient, and the tslab TypeScript kernel registered inside it.
// Idempotent and quick when everything is already there; says what it is doing when it isn't.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
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

export function ensurePython() {
  const req = readFileSync(join(ROOT, "requirements.txt"), "utf8");
  const want = createHash("sha256").update(req).digest("hex");
  const jupyter = join(VENV_BIN, "jupyter");
  if (existsSync(jupyter) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === want) return;
  if (!existsSync(join(VENV_BIN, "python"))) {
    const py = findPython();
    say("first run: creating the Python environment in .venv/ …");
    run(py, ["-m", "venv", VENV], "python3 -m venv .venv (on Debian/Ubuntu: apt install python3-venv)");
  }
  say("installing JupyterLab and the notebook runner into .venv/ (about 20–60 s, once) …");
  run(join(VENV_BIN, "python"), ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", join(ROOT, "requirements.txt")], "pip install -r requirements.txt");
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

export function ensureAll() {
  ensurePython();
  ensureKernel();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureAll();
  say("set-up complete.");
}
