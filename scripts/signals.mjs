// How `npm start` and `npm run docs` end: on SIGINT (Ctrl-C), SIGTERM or SIGHUP, and when the
// process that started them is gone (npm killed, terminal closed), they run `cleanup` (which
// ends their servers, and the process group of any server they started) and exit. Nothing is
// left listening.

/** Calls `cleanup` once, then exits with 128 + the signal number. */
export function endWithParent(cleanup) {
  let ending = false;
  const end = async (code) => {
    if (ending) return;
    ending = true;
    try {
      await cleanup();
    } finally {
      process.exit(code);
    }
  };
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) process.on(sig, () => void end(code));
  // No prctl(PR_SET_PDEATHSIG) in Node: notice being re-parented instead.
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) void end(129);
  }, 500);
  timer.unref();
  return end;
}

/** Ends process group `pid` with SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function endGroup(pid, graceMs = 8000) {
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}
