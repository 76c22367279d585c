// The course as a class gets it on Binder or a JupyterHub: repo2docker installs binder/environment.yml,
// copies the repository and runs binder/postBuild. Docker and repo2docker do not run here, so this
// test runs the same steps without them: a clean copy of the tracked files (what a clone gets), a
// fresh Python environment standing in for repo2docker's (it sees the Jupyter packages of .venv
// but has its own prefix, so the kernel lands in it), postBuild in it, and then a notebook executed
// through the kernel postBuild registered, the CLI from the PATH, and the copy-to-home hook a hub runs.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
const VENV_PY = join(ROOT, ".venv", "bin", "python");
let tmp = "";
let course = "";
let env = "";
let home = "";
let runEnv: NodeJS.ProcessEnv = {};
let postBuild: { status: number | null; out: string } = { status: null, out: "" };

const purelib = (python: string) => execFileSync(python, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: "utf8" }).trim();

describe("binder/: the repo2docker build steps in a clean copy, then a notebook there", { timeout: 900_000 }, () => {
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "mfr-lab-binder-"));
    course = join(tmp, "course");
    env = join(tmp, "env");
    home = join(tmp, "home");
    mkdirSync(course);
    mkdirSync(home);
    // The tracked files as they are in the working tree (a clone of the commit being tested).
    execFileSync("sh", ["-c", `git ls-files -z | tar --null -T - -cf - | tar -xf - -C '${course}'`], { cwd: ROOT });
    // repo2docker's environment: its own prefix (kernels and settings go there), the Jupyter stack
    // of .venv visible through a .pth file instead of a second download.
    execFileSync("python3", ["-m", "venv", "--without-pip", env]);
    writeFileSync(join(purelib(join(env, "bin", "python")), "mfr-lab-jupyter-stack.pth"), purelib(VENV_PY) + "\n");
    runEnv = {
      PATH: `${join(env, "bin")}:${process.env.PATH}`,
      HOME: home,
      NB_PYTHON_PREFIX: env,
      // npm's download cache of this machine, so the test does not download the packages again.
      npm_config_cache: process.env.npm_config_cache ?? join(homedir(), ".npm"),
      npm_config_prefer_offline: "true",
      NO_COLOR: "1",
    };
    const r = spawnSync("bash", ["binder/postBuild"], { cwd: course, env: runEnv, encoding: "utf8", timeout: 600_000 });
    postBuild = { status: r.status, out: `${r.stdout}\n${r.stderr}` };
  }, 900_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("binder/postBuild and copy-course-to-home are executable in git; environment.yml lists requirements.txt's Python packages", () => {
    const modes = execFileSync("git", ["ls-files", "-s", "binder/postBuild", "binder/copy-course-to-home"], { cwd: ROOT, encoding: "utf8" });
    expect(modes.trim().split("\n").map((l) => l.split(" ")[0])).toEqual(["100755", "100755"]);
    const req = readFileSync(join(ROOT, "requirements.txt"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    const yml = readFileSync(join(ROOT, "binder", "environment.yml"), "utf8");
    const pip = [...yml.split(/^\s*- pip:\s*$/m)[1].matchAll(/^\s+- (\S+)\s*$/gm)].map((m) => m[1]);
    expect(pip, "binder/environment.yml's pip list").toEqual(req);
    expect(yml).toMatch(/nodejs>=20\.19/);
  });

  it("postBuild installs the npm packages, registers the tslab kernel in the environment, installs the settings and the CLI", () => {
    expect(postBuild.status, postBuild.out).toBe(0);
    expect(postBuild.out).toContain("[mfr-lab] done:");
    expect(existsSync(join(course, "node_modules", "tslab")), "npm ci ran in the copy").toBe(true);
    const spec = JSON.parse(readFileSync(join(env, "share", "jupyter", "kernels", "tslab", "kernel.json"), "utf8")) as { argv: string[]; language: string };
    expect(spec.language).toBe("typescript");
    expect(spec.argv[0], "the kernel runs the copy's tslab").toBe(join(course, "node_modules", ".bin", "tslab"));
    const list = execFileSync(join(env, "bin", "python"), ["-m", "jupyter_client.kernelspecapp", "list"], { env: runEnv, encoding: "utf8" });
    expect(list).toContain(join(env, "share", "jupyter", "kernels", "tslab"));
    const overrides = JSON.parse(readFileSync(join(env, "share", "jupyter", "lab", "settings", "overrides.d", "mfr-lab.json"), "utf8"));
    expect(overrides["@jupyterlab/apputils-extension:notification"].fetchNews).toBe("false");
    const cli = spawnSync("mfr-lab", ["progress", "--json"], { cwd: home, env: runEnv, encoding: "utf8" });
    expect(cli.status, cli.stderr).toBe(0);
    expect((JSON.parse(cli.stdout) as { total: number }).total, "mfr-lab on the PATH works on the copy's exercises").toBeGreaterThan(20);
  });

  it("a notebook runs there, through the kernel postBuild registered", () => {
    expect(postBuild.status, postBuild.out).toBe(0);
    const nb = join(course, "notebooks", "00-what-mfr-does.ipynb");
    const r = spawnSync(join(env, "bin", "python"), [join(course, "scripts", "run_notebook.py"), nb, "--timeout", "300"], { cwd: course, env: runEnv, encoding: "utf8", timeout: 600_000 });
    const res = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { ok?: boolean; error?: string; outputs?: number; seconds?: number };
    expect(res.ok, `${res.error ?? ""}\n${r.stderr.slice(-2000)}`).toBe(true);
    expect(res.outputs ?? 0).toBeGreaterThan(5);
    console.log(`[binder] postBuild + notebook 00 in a clean copy: notebook ${res.seconds} s`);
  });

  it("on a hub with persistent homes, copy-course-to-home gives each student a copy (node_modules linked) and leaves it alone later", () => {
    expect(postBuild.status, postBuild.out).toBe(0);
    const dest = join(home, "mfr-lab");
    const first = spawnSync("bash", [join(course, "binder", "copy-course-to-home")], { env: runEnv, encoding: "utf8" });
    expect(first.status, first.stderr).toBe(0);
    expect(lstatSync(join(dest, "node_modules")).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dest, "notebooks", "src")).isSymbolicLink(), "the notebooks' link to the library is kept").toBe(true);
    expect(existsSync(join(dest, "exercises", "manifest.json"))).toBe(true);
    const p = spawnSync(process.execPath, [join(dest, "bin", "mfr-lab.mjs"), "progress", "--json"], { env: runEnv, encoding: "utf8" });
    expect(p.status, p.stderr).toBe(0);
    expect((JSON.parse(p.stdout) as { progressFile: string }).progressFile, "progress is kept in the student's copy").toBe(join(dest, ".mfr-lab", "progress.json"));
    const again = spawnSync("bash", [join(course, "binder", "copy-course-to-home")], { env: runEnv, encoding: "utf8" });
    expect(again.stdout).toContain("keeping the student's copy");
  });
});
