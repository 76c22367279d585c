// `npm start`: first-run set-up (venv, JupyterLab, tslab kernel), then JupyterLab on
// 127.0.0.1 with the course notebooks. The token stays on: open the URL JupyterLab prints.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ensureAll, ROOT, VENV_BIN } from "./setup.mjs";

await ensureAll();
const args = ["lab", "--ip", "127.0.0.1", `--ServerApp.root_dir=${join(ROOT, "notebooks")}`, ...process.argv.slice(2)];
if (typeof process.getuid === "function" && process.getuid() === 0) args.push("--allow-root");
process.stderr.write("[mfr-lab] starting JupyterLab on 127.0.0.1 — open the URL with the token printed below; Ctrl-C to stop.\n");
const child = spawn(join(VENV_BIN, "jupyter"), args, { stdio: "inherit", cwd: ROOT });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
