// memfds: memfd_create (+ ftruncate), passing an fd, ftruncate, hole punch, close.
import { parseSize } from "../../core/units.js";
import { errnoName, formatOffset } from "../format.js";
import type { MemfdState, Runner } from "../run.js";
import type { MemfdSpec } from "../types.js";
import type { KernelEmitter, OpDef, StepExec } from "./types.js";

/** include/uapi/linux/memfd.h: MFD_HUGETLB and the MFD_HUGE_* size encodings (log2 << 26). */
const MFD_HUGETLB = 4;
const MFD_HUGE_SHIFT = 26;

/** The RFC's flag has no mainline equivalent: a scenario that needs it is model only. */
const KEEP_UE_MAPPED = "MFD_MF_KEEP_UE_MAPPED is the userspace MFR policy RFC's flag (last posted as v3, Feb 2026), not in mainline";

type MemfdStep = Omit<MemfdSpec, "name"> & { name: string };

export function memfdCreate(r: Runner, st: MemfdStep): StepExec {
  if (r.memfds.has(st.name)) throw r.err("name", `a memfd "${st.name}" already exists`);
  const pid = r.pid(st.process, "process");
  const fd = r.m.memfdCreate(pid, { size: st.size, hugetlb: st.hugetlb, keepUeMapped: st.keepUeMapped, thp: st.thp });
  const flags = [st.hugetlb ? `MFD_HUGETLB|MFD_HUGE_${st.hugetlb}` : "", st.keepUeMapped ? "MFD_MF_KEEP_UE_MAPPED" : ""].filter(Boolean).join("|") || "0";
  const text = `${st.process}: memfd_create(${st.name}, ${flags}), size ${formatOffset(parseSize(st.size))}${st.thp ? ", THP" : ""}`;
  const f: MemfdState = { name: st.name, owner: st.process, fds: new Map(), size: parseSize(st.size) };
  r.memfds.set(st.name, f);
  if (fd < 0) {
    f.failed = errnoName(fd);
    r.lastRet = fd;
    return { text, outcome: errnoName(fd) };
  }
  f.fds.set(st.process, fd);
  for (const to of st.sharedWith ?? []) {
    const nfd = r.m.shareFd(pid, fd, r.pid(to, "sharedWith"));
    f.fds.set(to, nfd);
  }
  return { text: text + (st.sharedWith?.length ? `, passed to ${st.sharedWith.join(", ")}` : ""), outcome: `fd ${fd}` };
}

export function memfdKernel(k: KernelEmitter, st: MemfdStep): void {
  if (st.keepUeMapped) k.modelOnly(KEEP_UE_MAPPED);
  let flags = 0;
  if (st.hugetlb) flags = MFD_HUGETLB | ((st.hugetlb === "1G" ? 30 : 21) * 2 ** MFD_HUGE_SHIFT);
  // A shmem memfd gets THP folios where shmem_enabled allows them: "advise" honours the
  // MADV_HUGEPAGE the agent gives its mappings (the model's thp: true), and only those.
  if (st.thp) k.set("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "advise");
  k.memfdUnit(st.name, st.hugetlb === "1G" ? 4 : st.hugetlb === "2M" ? 3 : st.thp ? 2 : 0);
  k.emit(`P ${k.proc(st.process)} memfd ${k.fdSlot(st.name, st.process, true)} ${flags} ${parseSize(st.size)}`, "ret");
  for (const to of st.sharedWith ?? []) shareKernel(k, st.name, st.process, to);
}

function shareKernel(k: KernelEmitter, memfd: string, from: string, to: string): void {
  // pidfd_getfd() is what SCM_RIGHTS does for the model: a second fd of the same open file.
  k.emit(`GETFD ${k.proc(to)} ${k.fdSlot(memfd, to, true)} ${k.proc(from)} ${k.fdSlot(memfd, from)}`, "setup");
}

export const memfd: OpDef<"memfd"> = { model: memfdCreate, kernel: memfdKernel };

export const share: OpDef<"share"> = {
  model(r, st) {
    const f = r.memfd(st.memfd, "memfd");
    const from = st.from ?? f.owner;
    const { pid, fd } = r.fdOf(f, from, "from");
    if (f.fds.has(st.to)) throw r.err("to", `process "${st.to}" already has an fd of memfd "${f.name}"`);
    const nfd = r.m.shareFd(pid, fd, r.pid(st.to, "to"));
    f.fds.set(st.to, nfd);
    return { text: `${from} → ${st.to}: pass memfd ${f.name} (SCM_RIGHTS)`, outcome: `fd ${nfd}` };
  },
  kernel(k, st) {
    shareKernel(k, st.memfd, st.from ?? k.owner(st.memfd), st.to);
  },
};

export const truncate: OpDef<"truncate"> = {
  model(r, st) {
    const f = r.memfd(st.memfd, "memfd");
    const proc = st.process ?? f.owner;
    const { pid, fd } = r.fdOf(f, proc, "process");
    r.m.truncate(pid, fd, st.size);
    return { text: `${proc}: ftruncate(${f.name}, ${formatOffset(parseSize(st.size, "size"))})`, outcome: "ok" };
  },
  kernel(k, st) {
    const proc = st.process ?? k.owner(st.memfd);
    k.emit(`P ${k.proc(proc)} ftrunc ${k.fdSlot(st.memfd, proc)} ${parseSize(st.size)}`, "ret");
  },
};

export const punchHole: OpDef<"punch-hole"> = {
  model(r, st) {
    const f = r.memfd(st.memfd, "memfd");
    const proc = st.process ?? f.owner;
    const { pid, fd } = r.fdOf(f, proc, "process");
    r.m.punchHole(pid, fd, st.offset, st.length);
    return { text: `${proc}: fallocate(${f.name}, PUNCH_HOLE, ${formatOffset(parseSize(st.offset))}, ${formatOffset(parseSize(st.length))})`, outcome: "ok" };
  },
  kernel(k, st) {
    const proc = st.process ?? k.owner(st.memfd);
    k.emit(`P ${k.proc(proc)} punch ${k.fdSlot(st.memfd, proc)} ${parseSize(st.offset)} ${parseSize(st.length)}`, "ret");
  },
};

export const close: OpDef<"close"> = {
  model(r, st) {
    const f = r.memfd(st.memfd, "memfd");
    const proc = st.process ?? f.owner;
    const { pid, fd } = r.fdOf(f, proc, "process");
    r.m.close(pid, fd);
    f.fds.delete(proc);
    return { text: `${proc}: close(${f.name})`, outcome: "ok" };
  },
  kernel(k, st) {
    const proc = st.process ?? k.owner(st.memfd);
    k.emit(`P ${k.proc(proc)} close ${k.fdSlot(st.memfd, proc)}`, "ret");
  },
};
