// `npm run docs:build`: the static site, as published. VitePress builds the pages; then every
// chapter notebook is executed through the real tslab kernel and exported with its outputs to
// dist/notebooks/<name>.html (a viewer page) and <name>.ipynb (the executed copy), which each
// chapter page links. Executed notebooks are cached by the hash of the notebook, src/ and the
// lockfiles, so a second build (e.g. under another base path) does not run them again.
//
// usage: node scripts/build-site.mjs [--out-dir DIR] [--skip-notebooks]
// The base path comes from MFR_LAB_BASE (e.g. "/mfr-lab/"); see README "Publishing the site".
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensureAll, ROOT, VENV_BIN } from "./setup.mjs";

function say(msg) {
  process.stderr.write(`[site] ${msg}\n`);
}

function fail(msg) {
  say(`error: ${msg}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({ options: { "out-dir": { type: "string" }, "skip-notebooks": { type: "boolean" } } }).values;
} catch (e) {
  fail(`${e.message} (usage: node scripts/build-site.mjs [--out-dir DIR] [--skip-notebooks])`);
}
const outDir = resolve(ROOT, args["out-dir"] ?? "docs/.vitepress/dist");
const CACHE = join(ROOT, "docs", ".vitepress", "cache", "notebooks");

/** The chapter notebooks (not executed copies). */
function notebookNames() {
  return readdirSync(join(ROOT, "notebooks"))
    .filter((f) => f.endsWith(".ipynb") && !f.includes(".executed."))
    .map((f) => f.slice(0, -".ipynb".length))
    .sort();
}

/** src/ folders no notebook imports (the grader, the CLI, the site's markdown plugins). */
const NOT_NOTEBOOK_INPUTS = new Set(["grader", "cli", "md"].map((d) => join(ROOT, "src", d)));

/** Everything a notebook's outputs depend on besides itself: the library and the lockfiles. */
function inputsHash() {
  const h = createHash("sha256");
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!NOT_NOTEBOOK_INPUTS.has(p)) walk(p);
      } else if (e.isFile()) h.update(relative(ROOT, p)).update(readFileSync(p));
    }
  };
  walk(join(ROOT, "src"));
  for (const f of ["package-lock.json", "requirements.txt"]) h.update(readFileSync(join(ROOT, f)));
  return h.digest("hex");
}

function run(cmd, argv, what) {
  return new Promise((res) => {
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => res({ code, out, what }));
  });
}

async function executeNotebooks(names) {
  const common = inputsHash();
  const jobs = names.map((name) => {
    const key = createHash("sha256").update(common).update(readFileSync(join(ROOT, "notebooks", `${name}.ipynb`))).digest("hex").slice(0, 16);
    return { name, file: join(CACHE, key, `${name}.ipynb`) };
  });
  const todo = jobs.filter((j) => !existsSync(j.file));
  if (todo.length < jobs.length) say(`${jobs.length - todo.length} of ${jobs.length} notebooks unchanged since they were last executed: reusing them`);
  const width = Math.max(1, Math.min(2, availableParallelism()));
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const j = todo[next++];
      const t0 = Date.now();
      say(`executing notebooks/${j.name}.ipynb through the tslab kernel …`);
      mkdirSync(join(j.file, ".."), { recursive: true });
      const tmp = `${j.file}.tmp.ipynb`;
      const r = await run(join(VENV_BIN, "python"), [join(ROOT, "scripts", "run_notebook.py"), join(ROOT, "notebooks", `${j.name}.ipynb`), "--timeout", "300", "--save", tmp], j.name);
      if (r.code !== 0) {
        rmSync(tmp, { force: true });
        fail(`notebooks/${j.name}.ipynb did not run cleanly, so its page cannot be built:\n${r.out.slice(-3000)}`);
      }
      renameSync(tmp, j.file);
      say(`  ${j.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return jobs;
}

async function main() {
  const t0 = Date.now();
  say(`vitepress build (base ${process.env.MFR_LAB_BASE ?? "/"}) → ${relative(ROOT, outDir) || "."}`);
  const vp = spawnSync(process.execPath, [join(ROOT, "node_modules", "vitepress", "bin", "vitepress.js"), "build", "docs", "--outDir", outDir], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (vp.status !== 0) fail(`vitepress build failed (exit ${vp.status ?? vp.signal})`);
  if (args["skip-notebooks"]) {
    say("--skip-notebooks: the chapter pages' notebook viewer links will not resolve in this build");
    return;
  }
  await ensureAll();
  const names = notebookNames();
  const jobs = await executeNotebooks(names);
  const dest = join(outDir, "notebooks");
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const j of jobs) copyFileSync(j.file, join(dest, `${j.name}.ipynb`));
  say(`exporting ${jobs.length} executed notebooks to HTML (nbconvert) …`);
  const nb = spawnSync(
    join(VENV_BIN, "jupyter"),
    ["nbconvert", "--to", "html", `--TemplateExporter.extra_template_basedirs=${join(ROOT, "scripts", "nbconvert")}`, "--template", "mfr-lab", "--output-dir", dest, ...jobs.map((j) => join(dest, `${j.name}.ipynb`))],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (nb.status !== 0) fail(`nbconvert failed:\n${(nb.stderr || "").slice(-3000)}`);
  for (const j of jobs) if (!existsSync(join(dest, `${j.name}.html`)) || statSync(join(dest, `${j.name}.html`)).size === 0) fail(`nbconvert wrote no ${j.name}.html`);
  say(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${relative(ROOT, outDir)}/ with ${jobs.length} notebook pages`);
}

await main();
