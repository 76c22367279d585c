// Where the course lives, for the links the site prints: the repository (home page, edit links,
// "get the course"), the branch, and the notebooks each chapter links (viewer, download, Binder).
// The repository comes from MFR_LAB_REPO ("owner/name" or a URL), else GitHub Actions' own
// GITHUB_REPOSITORY (so a Pages build links to the repository it was built from), else package.json's
// "repository", else the git remote "origin". Without any, the site says "clone the repository"
// and leaves the links out rather than guess.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface SiteMeta {
  /** https://github.com/owner/name (no .git), or null when unknown. */
  repo: string | null;
  /** owner/name when the repository is on GitHub (for Binder), else null. */
  github: string | null;
  branch: string;
  /** Notebook names (notebooks/<name>.ipynb) the build exports; chapter pages share their names. */
  notebooks: string[];
}

function normalise(raw: string | undefined | null): string | null {
  if (!raw) return null;
  let s = raw.trim().replace(/^git\+/, "").replace(/\.git$/, "").replace(/\/$/, "");
  const ssh = /^git@([^:]+):(.+)$/.exec(s);
  if (ssh) s = `https://${ssh[1]}/${ssh[2]}`;
  if (/^[\w.-]+\/[\w.-]+$/.test(s)) s = `https://github.com/${s}`;
  return /^https?:\/\/[^/]+\/[\w.-]+\/[\w.-]+$/.test(s) ? s : null;
}

function fromPackageJson(): string | null {
  try {
    const p = JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8")) as { repository?: string | { url?: string } };
    return normalise(typeof p.repository === "string" ? p.repository : p.repository?.url);
  } catch {
    return null;
  }
}

function fromGitRemote(): string | null {
  try {
    return normalise(execFileSync("git", ["remote", "get-url", "origin"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
  } catch {
    return null;
  }
}

export function siteMeta(env: NodeJS.ProcessEnv = process.env): SiteMeta {
  const actions = env.GITHUB_REPOSITORY ? normalise(`${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}`) : null;
  const repo = normalise(env.MFR_LAB_REPO) ?? actions ?? fromPackageJson() ?? fromGitRemote();
  const gh = repo ? /^https:\/\/github\.com\/([\w.-]+\/[\w.-]+)$/.exec(repo) : null;
  const dir = `${ROOT}/notebooks`;
  const notebooks = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".ipynb") && !f.includes(".executed.")).map((f) => f.slice(0, -6)).sort() : [];
  return { repo, github: gh ? gh[1] : null, branch: env.MFR_LAB_BRANCH ?? env.GITHUB_REF_NAME ?? "main", notebooks };
}
