// `mfr-lab progress`: where a student stands, from .mfr-lab/progress.json and the exercise files,
// without running anything: solved, solved but changed since (learn checks it again), or to do;
// hints used. As a table for the terminal, one JSON object, or a printable HTML page.
import { existsSync } from "node:fs";

import { exerciseNumber, siteUrl } from "./catalog.js";
import { loadManifest, type ExerciseInfo } from "./manifest.js";
import { changedSinceSolved, loadProgress, progressPath } from "./progress.js";

export type ExerciseState = "solved" | "changed" | "todo";

export interface ProgressRow {
  number: string;
  id: string;
  chapter: number;
  title: string;
  state: ExerciseState;
  hintsShown: number;
  hints: number;
  file: string;
}

export interface ProgressReport {
  rows: ProgressRow[];
  solved: number;
  total: number;
  /** The progress file read (it may not exist yet). */
  progressFile: string;
  /** The first exercise to do, or null when every one is solved. */
  next: string | null;
}

export function progressReport(exercisesDir: string): ProgressReport {
  const list = loadManifest(exercisesDir);
  const p = loadProgress(exercisesDir);
  const changed = new Set(changedSinceSolved(exercisesDir, list, p).map((e) => e.id));
  const state = (e: ExerciseInfo): ExerciseState => (changed.has(e.id) ? "changed" : p.solved.includes(e.id) ? "solved" : "todo");
  const rows = list.map((e) => ({
    number: exerciseNumber(list, e.id), id: e.id, chapter: e.chapter, title: e.title, state: state(e),
    hintsShown: Math.min(p.hintsShown[e.id] ?? 0, e.hints), hints: e.hints, file: `exercises/${e.id}/${e.file}`,
  }));
  return {
    rows,
    solved: rows.filter((r) => r.state === "solved").length,
    total: rows.length,
    progressFile: progressPath(exercisesDir),
    next: rows.find((r) => r.state !== "solved")?.id ?? null,
  };
}

const MARK: Record<ExerciseState, string> = { solved: "✓", changed: "?", todo: " " };
const WORD: Record<ExerciseState, string> = { solved: "solved", changed: "changed since solved", todo: "to do" };

export function formatProgress(r: ProgressReport): string {
  const changed = r.rows.filter((x) => x.state === "changed").length;
  const note = !existsSync(r.progressFile) ? " (no progress recorded yet)" : changed ? `, ${changed} more changed since ${changed === 1 ? "it" : "they"} passed` : "";
  const lines = [`Progress: ${r.solved} of ${r.total} exercises solved${note}.`, ""];
  let chapter = -1;
  for (const row of r.rows) {
    if (row.chapter !== chapter) {
      chapter = row.chapter;
      lines.push(`Chapter ${chapter}`);
    }
    const hints = row.hintsShown > 0 ? `  (${row.hintsShown} of ${row.hints} hints)` : "";
    lines.push(`  ${MARK[row.state]} ${row.number.padEnd(4)} ${row.id.padEnd(24)} ${row.title}${row.state === "changed" ? "  — changed since it passed" : ""}${hints}`);
  }
  lines.push("");
  if (r.rows.some((x) => x.state === "changed")) lines.push("? = the file changed since it passed: `npx mfr-lab learn` checks it again.");
  lines.push(r.next ? `Next: \`npx mfr-lab learn ${r.next}\`.` : "Every exercise is solved. Well done!");
  return lines.join("\n");
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A standalone page to print or hand in: one table, links to the exercise pages when the site URL is known. */
export function progressHtml(r: ProgressReport, opts: { generatedAt?: Date; root?: string } = {}): string {
  const site = siteUrl(opts.root);
  const when = (opts.generatedAt ?? new Date()).toISOString().slice(0, 16).replace("T", " ");
  const title = (row: ProgressRow) => (site ? `<a href="${esc(site)}exercises/${esc(row.id)}.html">${esc(row.title)}</a>` : esc(row.title));
  const body = r.rows
    .map((row) => `<tr class="${row.state}"><td>${esc(row.number)}</td><td><code>${esc(row.id)}</code></td><td>${title(row)}</td><td>${WORD[row.state]}</td><td>${row.hintsShown} of ${row.hints}</td></tr>`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>MFR Lab progress: ${r.solved} of ${r.total}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1f2328; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d0d7de; vertical-align: top; }
tr.solved td:nth-child(4) { color: #1a7f37; font-weight: 600; }
tr.changed td:nth-child(4) { color: #9a6700; }
@media print { body { margin: 0; max-width: none; font-size: 11pt; } a { color: inherit; text-decoration: none; } }
</style></head>
<body>
<h1>MFR Lab progress</h1>
<p><strong>${r.solved} of ${r.total}</strong> exercises solved, as recorded by <code>mfr-lab learn</code> and <code>mfr-lab grade</code> (report made ${esc(when)} UTC).
“Changed since solved” means the file changed after it passed; <code>npx mfr-lab learn</code> checks it again.</p>
<div class="scroll"><table>
<thead><tr><th>#</th><th>Exercise</th><th>Title</th><th>State</th><th>Hints used</th></tr></thead>
<tbody>
${body}
</tbody></table></div>
</body></html>
`;
}

