// Regular files on a disk file system (ext4), and read(2)/write(2)/fsync(2) on any open file.
import { parseSize } from "../../core/units.js";
import { errnoName, formatOffset } from "../format.js";
import type { MemfdState } from "../run.js";
import type { OpDef } from "./types.js";

export const file: OpDef<"file"> = {
  model(r, st) {
    if (r.memfds.has(st.name)) throw r.err("name", `a file or memfd "${st.name}" already exists`);
    const pid = r.pid(st.process, "process");
    const fd = r.m.openFile(pid, { size: st.size });
    const f: MemfdState = { name: st.name, owner: st.process, fds: new Map([[st.process, fd]]), size: parseSize(st.size) };
    r.memfds.set(st.name, f);
    for (const to of st.sharedWith ?? []) f.fds.set(to, r.m.shareFd(pid, fd, r.pid(to, "sharedWith")));
    const shared = st.sharedWith?.length ? `, passed to ${st.sharedWith.join(", ")}` : "";
    return { text: `${st.process}: open(${st.name}, O_CREAT|O_TRUNC) on ext4, size ${formatOffset(f.size)}${shared}`, outcome: `fd ${fd}` };
  },
  kernel(k, st) {
    k.needDisk();
    k.memfdUnit(st.name, 0);
    k.emit(`P ${k.proc(st.process)} open ${k.fdSlot(st.name, st.process, true)} /mnt/${st.name} ${parseSize(st.size)}`, "ret");
    for (const to of st.sharedWith ?? []) k.emit(`GETFD ${k.proc(to)} ${k.fdSlot(st.name, to, true)} ${k.proc(st.process)} ${k.fdSlot(st.name, st.process)}`, "setup");
  },
};

/** pread and pwrite: the same bookkeeping, the Machine call and the agent command differ. */
function io(which: "pread" | "pwrite"): OpDef<"pread" | "pwrite"> {
  return {
    model(r, st) {
      const f = r.memfd(st.memfd, "memfd");
      const proc = st.process ?? f.owner;
      const { pid, fd } = r.fdOf(f, proc, "process");
      const off = parseSize(st.offset ?? 0, "offset");
      const len = parseSize(st.length, "length");
      const ret = which === "pread" ? r.m.pread(pid, fd, off, len) : r.m.pwrite(pid, fd, off, len);
      r.lastRet = ret;
      return { text: `${proc}: ${which}(${f.name}, ${formatOffset(len)} at ${formatOffset(off)})`, outcome: ret >= 0 ? `${formatOffset(ret)} ${which === "pread" ? "read" : "written"}` : errnoName(ret) };
    },
    kernel(k, st) {
      const proc = st.process ?? k.owner(st.memfd);
      k.emit(`P ${k.proc(proc)} ${which} ${k.fdSlot(st.memfd, proc)} ${parseSize(st.offset ?? 0)} ${parseSize(st.length)}`, "ret");
    },
  };
}
export const pread = io("pread") as OpDef<"pread">;
export const pwrite = io("pwrite") as OpDef<"pwrite">;

export const fsync: OpDef<"fsync"> = {
  model(r, st) {
    const f = r.memfd(st.memfd, "memfd");
    const proc = st.process ?? f.owner;
    const { pid, fd } = r.fdOf(f, proc, "process");
    const ret = r.m.fsync(pid, fd);
    r.lastRet = ret;
    return { text: `${proc}: fsync(${f.name})`, outcome: errnoName(ret) };
  },
  kernel(k, st) {
    const proc = st.process ?? k.owner(st.memfd);
    k.emit(`P ${k.proc(proc)} fsync ${k.fdSlot(st.memfd, proc)}`, "ret");
  },
};
