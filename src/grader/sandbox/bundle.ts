// Builds what the student's process runs (esbuild): one bundle of the library, cached by content,
// and per exercise a small bundle of the student's file. Resolving the student's imports is where
// the exercise rules are enforced, whatever path spells them:
//   - the library (any specifier that lands in src/, e.g. "../../src" or "../../src/mfr/machine.js")
//     is reached through a shim in which the names the exercise asks the student to write are
//     poisoned: using one fails the exercise with a message naming it;
//   - the reference solution (.meta/), the tests, the grader, the CLI and npm packages are refused
//     at build time with one line;
//   - Node's built-in modules stay importable; the permission model decides what they may do.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Message, Plugin } from "esbuild";

const SKIP = { mfrLabInner: true };

/** The library's module files, relative to the project root ("src/mfr/machine.ts"). */
function libraryFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(relative(root, p).split(sep).join("/"));
    }
  };
  walk(join(root, "src"));
  return out;
}

/**
 * Library modules an exercise may import: everything but the grader, the CLI and the Node-only
 * helpers (file loading, notebook rendering), which need what the student's process may not do.
 */
export function isStudentVisible(rel: string): boolean {
  return !/^src\/(grader|cli)\//.test(rel) && !/^src\/[^/]+\/node\.ts$/.test(rel);
}

async function esbuild(): Promise<typeof import("esbuild")> {
  return await import("esbuild");
}

/**
 * The library bundle for the student's process (all of src/ except the grader and the CLI, each
 * module evaluated on first use), at `<root>/.mfr-lab/cache/sandbox-lib-<hash>.cjs`. It only ever
 * runs on the student's side, so a cached copy cannot change a verdict.
 */
export async function libraryBundle(root: string): Promise<string> {
  const files = libraryFiles(root);
  const h = createHash("sha256");
  for (const f of files) h.update(f).update("\0").update(readFileSync(join(root, f))).update("\0");
  const hash = h.digest("hex").slice(0, 16);
  let dir = join(root, ".mfr-lab", "cache");
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    dir = join(tmpdir(), "mfr-lab-cache");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  const out = join(dir, `sandbox-lib-${hash}.cjs`);
  if (existsSync(out)) return out;
  const lines = ["const M = {};"];
  for (const f of files.filter(isStudentVisible)) lines.push(`Object.defineProperty(M, ${JSON.stringify(f)}, { enumerable: true, get: () => require(${JSON.stringify("./" + f)}) });`);
  lines.push(`module.exports = { modules: M, runner: require("./src/grader/sandbox/student-main.ts") };`);
  const { build, stop } = await esbuild();
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await build({
      stdin: { contents: lines.join("\n"), resolveDir: root, loader: "js", sourcefile: "sandbox-lib-entry.js" },
      bundle: true, platform: "node", format: "cjs", target: "node20", outfile: tmp, logLevel: "silent", legalComments: "none",
      minifyWhitespace: true, minifySyntax: true, keepNames: true,
    });
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
    await stop();
  }
  // Bundles of earlier library versions go once no grading that started with them can still run.
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (/^sandbox-lib-[0-9a-f]+\.cjs$/.test(name) && p !== out && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { force: true });
  }
  return out;
}

export interface StudentBundleOptions {
  /** The student's file (absolute). */
  file: string;
  /** How to name it in messages: "exercises/ch1-tlb-reach/tlb-reach.ts". */
  shown: string;
  /** The exercises folder (absolute): the student's files may import each other inside it, not .meta/. */
  exercisesDir: string;
  /** The project root whose src/ is the library. */
  root: string;
  /** The library bundle (from libraryBundle). */
  libraryBundle: string;
  /** Library names this exercise asks the student to write. */
  forbid: readonly string[];
  /** Where to write the bundle. */
  outfile: string;
}

/** Builds the student's bundle; a refused import or a syntax error comes back as one line. */
export async function studentBundle(o: StudentBundleOptions): Promise<{ ok: true } | { ok: false; message: string }> {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const libRoots = [...new Set([real(join(o.root, "src")), real(join(dirname(o.exercisesDir), "src"))])];
  const exRoot = real(o.exercisesDir);
  const inside = (p: string, dir: string): boolean => p === dir || p.startsWith(dir + sep);
  const shownOf = (p: string): string => {
    if (p === real(o.file)) return o.shown;
    if (inside(p, exRoot)) return `exercises/${relative(exRoot, p).split(sep).join("/")}`;
    return p;
  };
  const lib = JSON.stringify(o.libraryBundle);
  const target = real(o.file);
  // Grading the reference itself (instructors, CI) is the one case where .meta/ is the file under test.
  const metaAllowed = relative(exRoot, target).split(sep).includes(".meta");
  const forbid = JSON.stringify(o.forbid);
  const refuse = (importer: string, text: string) => ({ errors: [{ text: `${shownOf(importer)} ${text}` }] });
  const rules: Plugin = {
    name: "mfr-lab-exercise-rules",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === SKIP || args.kind === "entry-point") return undefined;
        if (args.path === o.libraryBundle) return { path: args.path, external: true };
        const bare = !/^[./]/.test(args.path);
        if (bare) {
          const name = args.path.replace(/^node:/, "");
          if (args.path.startsWith("node:") || builtinModules.includes(name)) return { path: args.path, external: true };
          return refuse(args.importer, `imports the package "${args.path}": exercises use the course library (../../src/index.js) and Node's built-in modules only`);
        }
        const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: SKIP });
        if (r.errors.length > 0) return { errors: r.errors };
        const p = real(r.path);
        const libRoot = libRoots.find((d) => inside(p, d));
        if (libRoot) {
          const rel = `src/${relative(libRoot, p).split(sep).join("/")}`;
          if (!isStudentVisible(rel)) return refuse(args.importer, `imports ${rel}: the grader, the CLI and the Node-only helpers are not part of the library an exercise may use`);
          return { path: rel, namespace: "mfr-lab-library" };
        }
        if (inside(p, exRoot)) {
          if (p !== target && !metaAllowed && relative(exRoot, p).split(sep).includes(".meta")) {
            return refuse(args.importer, `imports the reference solution (${shownOf(p)}): the grader does not load .meta/ for your exercise — write your own solution`);
          }
          return { path: p };
        }
        return refuse(args.importer, `imports ${p}, which is neither in the exercises folder nor in the library`);
      });
      b.onLoad({ filter: /.*/, namespace: "mfr-lab-library" }, (args) => ({
        contents: `const L = require(${lib});\nmodule.exports = L.runner.shim(L.modules[${JSON.stringify(args.path)}], ${forbid});\n`,
        loader: "js",
        resolveDir: dirname(o.libraryBundle),
      }));
    },
  };
  const { build, stop } = await esbuild();
  try {
    await build({
      stdin: { contents: `require(${lib}).runner.main(() => require(${JSON.stringify(o.file)}));\n`, resolveDir: dirname(o.file), loader: "js", sourcefile: "sandbox-entry.js" },
      bundle: true, platform: "node", format: "cjs", target: "node20", outfile: o.outfile, logLevel: "silent",
      plugins: [rules], write: true, absWorkingDir: o.root,
      // The class-field semantics of the project's tsconfig (target ES2022), also in copies without one.
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    });
    return { ok: true };
  } catch (e) {
    const errors = ((e as { errors?: Message[] }).errors ?? []) as Message[];
    return { ok: false, message: errors.length ? buildMessage(errors[0], o, shownOf) : (e instanceof Error ? e.message : String(e)).split("\n")[0] };
  } finally {
    await stop();
  }
}

function buildMessage(m: Message, o: StudentBundleOptions, shownOf: (p: string) => string): string {
  const loc = m.location;
  // A rule's refusal already names the importing file; a syntax error names its place.
  if (!loc || m.pluginName) return m.text;
  const file = loc.file ? shownOf(resolve(o.root, loc.file)) : o.shown;
  const where = `line ${loc.line}, column ${loc.column + 1}`;
  return file === o.shown ? `syntax error at ${where}: ${m.text}` : `${file}: syntax error at ${where}: ${m.text}`;
}
