// Every command prints either one JSON object (--json) or a short human report.
import { formatSize } from "../core/units.js";

export function emit(json: boolean, data: object, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(data) + "\n" : human() + "\n");
}

export function pct(x: number, digits = 2): string {
  return `${(100 * x).toFixed(digits)}%`;
}

export { formatSize };

/**
 * A plain-text table for the human reports: columns as wide as their widest cell, two spaces
 * apart; the first column left-aligned (names), the others right-aligned (figures).
 */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  const cells = [header, ...rows].map((r) => r.map(String));
  const width = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join("  ").trimEnd());
}
