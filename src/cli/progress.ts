// A progress bar for long sweeps, only on an interactive terminal (stderr), never in --json
// output or in pipes and CI logs.
import { SingleBar, Presets } from "cli-progress";

export interface Progress {
  tick(): void;
  stop(): void;
}

export function progress(total: number, label: string, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY || total < 2) return { tick() {}, stop() {} };
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true }, Presets.shades_classic);
  bar.start(total, 0);
  return { tick: () => bar.increment(), stop: () => bar.stop() };
}
