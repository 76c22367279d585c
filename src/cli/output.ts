// Every command prints either one JSON object (--json) or a short human report.
import { formatSize } from "../core/units.js";

export function emit(json: boolean, data: object, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(data) + "\n" : human() + "\n");
}

export function pct(x: number, digits = 2): string {
  return `${(100 * x).toFixed(digits)}%`;
}

export { formatSize };
