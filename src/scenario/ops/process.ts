// Processes: spawn, prctl(PR_MCE_KILL), exit, and RLIMIT_MEMLOCK/CAP_IPC_LOCK.
import { parseSize } from "../../core/units.js";
import { pinRegistry } from "../../iommufd/index.js";
import { formatOffset } from "../format.js";
import type { OpDef } from "./types.js";

/** include/uapi/linux/capability.h */
const CAP_SYS_ADMIN = 21;

/** PR_MCE_KILL_SET's arg3 (PR_MCE_KILL_LATE 0, PR_MCE_KILL_EARLY 1), or PR_MCE_KILL_CLEAR: the agent's code. */
const MCE_KILL_CODE = { default: 0, late: 1, early: 2 } as const;

export const spawn: OpDef<"spawn"> = {
  model(r, st) {
    if (r.procs.has(st.process)) throw r.err("process", `a process "${st.process}" already exists`);
    const pid = r.m.spawn();
    r.procs.set(st.process, pid);
    r.pidNames.set(pid, st.process);
    if (st.capSysAdmin === false) r.m.tasks.get(pid)!.capSysAdmin = false;
    return { text: `spawn ${st.process}${st.capSysAdmin === false ? " without CAP_SYS_ADMIN" : ""}`, outcome: `pid ${pid}` };
  },
  kernel(k, st) {
    const i = k.spawn(st.process);
    k.emit(`SPAWN ${i}`, "spawn");
    if (st.capSysAdmin === false) k.emit(`P ${i} dropcap ${CAP_SYS_ADMIN}`, "setup");
  },
};

export const prctl: OpDef<"prctl"> = {
  model(r, st) {
    r.m.prctlMceKill(r.pid(st.process, "process"), st.mceKill);
    return { text: `${st.process}: prctl(PR_MCE_KILL, ${st.mceKill})`, outcome: "ok" };
  },
  kernel(k, st) {
    k.emit(`P ${k.proc(st.process)} mcekill ${MCE_KILL_CODE[st.mceKill]}`, "ret");
  },
};

export const exit: OpDef<"exit"> = {
  model(r, st) {
    const pid = r.pid(st.process, "process");
    r.m.exit(pid);
    for (const f of r.memfds.values()) f.fds.delete(st.process);
    for (const mp of [...r.mappings.values()]) if (mp.pid === pid) r.mappings.delete(mp.name);
    // exit_files() released its iommufd and VFIO fds: their IOASes, areas and devices are gone.
    for (const [name, io] of r.ioases) if (io.ctx.closed) r.dropAreas("ioas", name, 0, Number.MAX_SAFE_INTEGER);
    for (const [name, c] of r.vfios) if (c.closed) r.dropAreas("vfio", name, 0, Number.MAX_SAFE_INTEGER);
    return { text: `${st.process}: exit`, outcome: "ok" };
  },
  kernel(k, st) {
    k.emit(`P ${k.proc(st.process)} exit`, "exit");
  },
};

export const memlock: OpDef<"memlock"> = {
  model(r, st) {
    const pid = r.pid(st.process, "process");
    const reg = pinRegistry(r.m);
    if (st.limit !== undefined) {
      if (st.limit === "unlimited") reg.rlimitMemlock.delete(pid);
      else reg.rlimitMemlock.set(pid, parseSize(st.limit, "limit"));
    }
    if (st.capIpcLock !== undefined) reg.capIpcLock.set(pid, st.capIpcLock);
    const parts = [st.limit !== undefined ? `RLIMIT_MEMLOCK ${st.limit === "unlimited" ? "unlimited" : formatOffset(parseSize(st.limit))}` : "", st.capIpcLock !== undefined ? `CAP_IPC_LOCK ${st.capIpcLock ? "on" : "off"}` : ""].filter(Boolean);
    return { text: `${st.process}: ${parts.join(", ") || "memlock unchanged"}`, outcome: "ok" };
  },
  kernel: { modelOnly: "RLIMIT_MEMLOCK accounting is read only by the model's iommufd and VFIO steps, which need a device the VM does not have" },
};
