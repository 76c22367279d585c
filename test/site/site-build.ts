// Shared by the site tests: build the VitePress site once per vitest run, serve it, find Chromium.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { processAlive } from "../../src/core/process.js";
import { afterAll, beforeAll } from "vitest";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/[\\/]$/, "");
export const DIST = join(ROOT, "docs/.vitepress/dist");
const LOCK = join(ROOT, "docs/.vitepress/cache/site-test-build.lock");

/** A build of the site: where it goes and the environment it is built with (e.g. MFR_LAB_BASE). */
export interface BuildSpec {
  outDir: string;
  env?: Record<string, string>;
}
const DEFAULT_BUILD: BuildSpec = { outDir: DIST };
const stampFor = (spec: BuildSpec) => join(ROOT, "docs/.vitepress/cache", `site-test-build-${spec.outDir === DIST ? "dist" : spec.outDir.split(sep).pop()}.json`);

export interface BuildInfo {
  /** Seconds the build took (0 when another test file of this run already built it). */
  seconds: number;
  reused: boolean;
}


function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The published build: VitePress, then the notebooks executed and exported next to the pages. */
function runBuild(spec: BuildSpec): Promise<{ code: number; output: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts/build-site.mjs"), "--out-dir", spec.outDir], {
      cwd: ROOT,
      env: { ...process.env, MFR_LAB_BASE: "/", ...(spec.env ?? {}), NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => res({ code: code ?? 1, output }));
  });
}

/** Newest modification time among the files the site is built from. */
function newestSourceMtime(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith("dist") || e.name === "cache" || e.name === "node_modules" || e.name === ".ipynb_checkpoints") continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, "docs"));
  walk(join(ROOT, "src"));
  walk(join(ROOT, "exercises"));
  walk(join(ROOT, "notebooks"));
  return newest;
}

/**
 * Runs `vitepress build docs` unless another test file of the same vitest run (same parent
 * process) already did and no source changed since. A lock directory keeps two files from
 * building at once.
 */
export async function buildSiteOnce(spec: BuildSpec = DEFAULT_BUILD): Promise<BuildInfo> {
  mkdirSync(join(ROOT, "docs/.vitepress/cache"), { recursive: true });
  const STAMP = stampFor(spec);
  const runId = String(process.ppid);
  for (;;) {
    if (existsSync(STAMP)) {
      const stamp = JSON.parse(readFileSync(STAMP, "utf8")) as { runId: string; ok: boolean; output: string; startedMs: number };
      if (stamp.runId === runId && existsSync(join(spec.outDir, "index.html")) && stamp.startedMs > newestSourceMtime()) {
        if (!stamp.ok) throw new Error(`vitepress build failed (in another test file of this run):\n${stamp.output}`);
        return { seconds: 0, reused: true };
      }
    }
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, "pid"), String(process.pid));
      break;
    } catch {
      // Another file is building. A lock whose process is gone was left by a killed run.
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(LOCK, "pid"), "utf8"));
      } catch {
        /* being created or removed */
      }
      if (Number.isInteger(holder) && !processAlive(holder)) rmSync(LOCK, { recursive: true, force: true });
      await sleep(250);
    }
  }
  try {
    const t0 = Date.now();
    const { code, output } = await runBuild(spec);
    const seconds = (Date.now() - t0) / 1000;
    writeFileSync(STAMP, JSON.stringify({ runId, startedMs: t0, ok: code === 0, output: code === 0 ? "" : output }));
    if (code !== 0) throw new Error(`site build failed (exit ${code}):\n${output.slice(-6000)}`);
    return { seconds, reused: false };
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".woff2": "font/woff2",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".ipynb": "application/x-ipynb+json",
};

/** Maps a URL path to a file in dist as a static host would (`/x` → x.html, `/d/` → d/index.html). */
export function distFileFor(urlPath: string, dist: string = DIST): string | null {
  let p = decodeURIComponent(urlPath.split(/[?#]/)[0]);
  if (p.endsWith("/")) p += "index.html";
  const file = normalize(join(dist, p));
  if (!file.startsWith(dist + sep) && file !== dist) return null;
  if (existsSync(file) && statSync(file).isFile()) return file;
  if (!extname(file) && existsSync(file + ".html")) return file + ".html";
  return null;
}

/**
 * Serves a build on 127.0.0.1 on a free port, as a static host serving it under `base` would
 * (a GitHub Pages project site serves /<repo>/): anything outside the base is a 404.
 */
export async function serveDist(dist: string = DIST, base = "/"): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = path.startsWith(base) ? distFileFor("/" + path.slice(base.length), dist) : null;
    if (!file) {
      res.writeHead(404, { "content-type": TYPES[".html"] });
      res.end(existsSync(join(dist, "404.html")) ? readFileSync(join(dist, "404.html")) : "not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

/** Every .html file under a built site, as absolute paths (new pages are picked up by themselves). */
export function htmlFiles(dir: string = DIST): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return htmlFiles(p);
    return e.name.endsWith(".html") ? [p] : [];
  });
}

/** Site paths ("/chapters/01-….html") of the built pages a reader can reach (not the 404 page). */
export function pagePaths(dir: string = DIST): string[] {
  return htmlFiles(dir)
    .map((f) => "/" + f.slice(dir.length + 1).split(sep).join("/"))
    .filter((p) => p !== "/404.html")
    .sort();
}

export const CHROMIUM_HELP =
  "No Chromium found for the browser test. Install it (Debian/Ubuntu: `apt-get install -y chromium`) " +
  "or set MFR_LAB_CHROMIUM to the path of a Chromium or Chrome binary.";

/** MFR_LAB_CHROMIUM, then chromium / chromium-browser / google-chrome on PATH, then /usr/bin/chromium. */
export function findChromium(): string {
  const env = process.env.MFR_LAB_CHROMIUM;
  if (env) {
    if (!existsSync(env)) throw new Error(`MFR_LAB_CHROMIUM=${env} does not exist. ${CHROMIUM_HELP}`);
    return env;
  }
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    const r = spawnSync("which", [name], { encoding: "utf8" });
    const path = r.status === 0 ? r.stdout.trim() : "";
    if (path && existsSync(path)) return path;
  }
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  throw new Error(CHROMIUM_HELP);
}

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A built site served on 127.0.0.1 and a Chromium, for one describe block (filled in by beforeAll). */
export interface SiteInBrowser {
  /** The server's origin, e.g. http://127.0.0.1:40123 (the base path is not included). */
  url: string;
  browser: Browser;
  build: BuildInfo;
}

/**
 * Registers the beforeAll/afterAll that build the site (once per vitest run), serve it and launch
 * Chromium; the fields of the returned object are set once beforeAll has run.
 */
export function useSiteInBrowser(opts: { build?: BuildSpec; base?: string; timeoutMs?: number } = {}): SiteInBrowser {
  const site = {} as SiteInBrowser;
  let server: Server | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    site.build = await buildSiteOnce(opts.build);
    console.log(site.build.reused ? "[site] build reused from this run" : `[site] vitepress build: ${site.build.seconds.toFixed(1)} s`);
    const served = await serveDist(opts.build?.outDir ?? DIST, opts.base);
    server = served.server;
    site.url = served.url;
    browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    site.browser = browser;
  }, opts.timeoutMs ?? 1_200_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });
  return site;
}

/** A 1280×900 page of the site at `path`, its problems collected into `problems` (see watchProblems). */
export async function openWatched(site: SiteInBrowser, path: string, problems: string[]): Promise<Page> {
  const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
  watchProblems(page, problems);
  await page.goto(site.url + path, { waitUntil: "load" });
  return page;
}

/** Collects a page's console errors, uncaught errors and failed responses (HTTP ≥ 400) into `problems`. */
export function watchProblems(page: Page, problems: string[]): void {
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
}
