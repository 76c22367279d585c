// Helpers for the tests of the course's servers (servers, start, the site's progress table, the grader's attacks): free ports,
// who accepts connections where, and which processes are left.
import { readdirSync, readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { networkInterfaces } from "node:os";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host, port, timeout: 2000 });
    c.once("connect", () => (c.destroy(), resolve(true)));
    c.once("error", () => resolve(false));
    c.once("timeout", () => (c.destroy(), resolve(false)));
  });
}

/** This machine's IPv4 addresses other than loopback. */
export function outsideAddresses(): string[] {
  return Object.values(networkInterfaces()).flat().filter((a) => a && a.family === "IPv4" && !a.internal).map((a) => a!.address);
}

/** Live processes whose command line holds `text` (Linux /proc). */
export function processesWith(text: string): string[] {
  const out: string[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8");
      const state = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]?.[0];
      if (cmd.includes(text) && state !== "Z") out.push(`${p}: ${cmd.split("\0").join(" ").slice(0, 160)}`);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

export async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number, log: () => string = () => ""): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} (waited ${Math.round(ms / 1000)} s). Output:\n${log()}`);
}

