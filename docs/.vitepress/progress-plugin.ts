// When the site is served from the course folder by the dev server (`npm run docs`), it can
// show the student's own progress: this Vite plugin answers /__mfr-lab/progress.json with
// `mfr-lab progress --json`'s report, read from .mfr-lab/progress.json on each request. A static
// host has no such endpoint, and the exercise list then simply shows no progress table.
// MFR_LAB_EXERCISES_DIR points it at another exercise folder (the tests use a copy).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Plugin } from "vite";
import { progressReport } from "../../src/grader/progress-report.js";
import { EXERCISES_DIR } from "./exercises.js";

export const PROGRESS_PATH = "__mfr-lab/progress.json";

export function progressPlugin(base: string): Plugin {
  const handle = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== `/${PROGRESS_PATH}` && path !== `${base}${PROGRESS_PATH}`) return next();
    try {
      const r = progressReport(process.env.MFR_LAB_EXERCISES_DIR ?? EXERCISES_DIR);
      res.setHeader("content-type", "application/json");
      res.setHeader("cache-control", "no-store");
      res.end(JSON.stringify({ rows: r.rows, solved: r.solved, total: r.total, next: r.next }));
    } catch (e) {
      res.statusCode = 500;
      res.end(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
    }
  };
  return {
    name: "mfr-lab-progress",
    configureServer(server) {
      server.middlewares.use(handle);
    },
  };
}
