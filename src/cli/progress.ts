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

export interface StageProgress {
  update(what: string, done: number, total: number): void;
  stop(): void;
}

/**
 * Progress through named stages (fetching a kernel): a bar on an interactive terminal, one line
 * per stage otherwise (so CI logs say what is taking time). Always on stderr.
 */
export function progressReporter(label: string): StageProgress {
  if (!process.stderr.isTTY) {
    return { update: (what) => process.stderr.write(`[mfr-lab] ${label}: ${what}\n`), stop() {} };
  }
  let bar: SingleBar | undefined;
  return {
    update(what, done, total) {
      if (!bar) {
        bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {what}`, stream: process.stderr, clearOnComplete: true }, Presets.shades_classic);
        bar.start(total, done, { what });
      } else bar.update(done, { what });
    },
    stop() {
      bar?.stop();
    },
  };
}
