// `npm start`: first-run set-up (venv, JupyterLab, tslab kernel), then JupyterLab on
// 127.0.0.1 with the course notebooks. The token stays on: open the URL JupyterLab prints.
// What the server exposes (README, "What `npm start` exposes"): the notebooks folder and the
// TypeScript kernel, to whoever has the token, on loopback only; no terminal.
// JupyterLab runs in its own process group; SIGINT, SIGTERM, SIGHUP, or the end of the npm
// process that started this one, end that whole group (kernels included).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ensureAll, ROOT, VENV_BIN } from "./setup.mjs";
import { endGroup, endWithParent } from "./signals.mjs";

await ensureAll();
const args = [
  "lab", "--ip", "127.0.0.1", `--ServerApp.root_dir=${join(ROOT, "notebooks")}`,
  // A course server needs notebooks and a kernel, not a shell: a JupyterLab terminal is a shell
  // as this user (a root shell when run as root) for anyone holding the token.
  "--ServerApp.terminals_enabled=False",
  ...process.argv.slice(2),
];
if (typeof process.getuid === "function" && process.getuid() === 0) args.push("--allow-root");
process.stderr.write("[mfr-lab] starting JupyterLab on 127.0.0.1 — open the URL with the token printed below; Ctrl-C to stop.\n");
const child = spawn(join(VENV_BIN, "jupyter"), args, { stdio: ["ignore", "inherit", "inherit"], cwd: ROOT, detached: true });
const end = endWithParent(() => endGroup(child.pid));
child.on("exit", (code, signal) => {
  void end(code ?? (signal ? 0 : 1));
});
