// Mappings and accesses: mmap, munmap, loads and stores, populate, FOLL_LONGTERM pins.
import { EFAULT } from "../../mfr/constants.js";
import { parseSize } from "../../core/units.js";
import { formatOffset, hex } from "../format.js";
import type { MappingState, Runner } from "../run.js";
import type { MappingSpec } from "../types.js";
import type { KernelEmitter, OpDef, StepExec } from "./types.js";

type MmapStep = Omit<MappingSpec, "name"> & { name: string };

/** The agent's mapping kinds: 0 shared (memfd or file), 1 anonymous, 2 anonymous THP, 3/4 MAP_HUGETLB 2M/1G. */
function anonKind(st: MmapStep): number {
  return st.hugetlb === "1G" ? 4 : st.hugetlb === "2M" ? 3 : st.thp ? 2 : 1;
}

export function mmapModel(r: Runner, st: MmapStep): StepExec {
  if (r.mappings.has(st.name)) throw r.err("name", `a mapping "${st.name}" already exists`);
  const pid = r.pid(st.process, "process");
  let fd: number | undefined;
  let length: number;
  if (st.memfd !== undefined) {
    const f = r.memfd(st.memfd, "memfd");
    fd = r.fdOf(f, st.process, "memfd").fd;
    length = st.length === undefined ? f.size - (st.offset === undefined ? 0 : parseSize(st.offset)) : parseSize(st.length, "length");
    if (st.thp || st.hugetlb) throw r.err(st.thp ? "thp" : "hugetlb", "applies to anonymous mappings only; set it on the memfd");
  } else {
    if (st.length === undefined) throw r.err("length", "an anonymous mapping needs a length");
    length = parseSize(st.length, "length");
  }
  const addr = r.m.mmap(pid, { length, fd, offset: st.offset, thp: st.thp, hugetlb: st.hugetlb });
  const mp: MappingState = { name: st.name, process: st.process, pid, addr, length, memfd: st.memfd };
  r.mappings.set(st.name, mp);
  r.resolved = { mapping: st.name, length };
  const kind = st.memfd ? `memfd ${st.memfd}${st.offset ? ` at ${formatOffset(parseSize(st.offset))}` : ""}, MAP_SHARED` : `anonymous${st.thp ? " THP" : ""}${st.hugetlb ? ` MAP_HUGETLB ${st.hugetlb}` : ""}`;
  let text = `${st.process}: mmap ${st.name} = ${formatOffset(length)} of ${kind}`;
  if (st.populate) {
    r.m.populate(pid, addr, length);
    text += ", populated";
  }
  return { text, outcome: hex(addr) };
}

export function mmapKernel(k: KernelEmitter, st: MmapStep, length: number): void {
  const { proc, slot } = k.mapSlot(st.name, { process: st.process, length });
  const off = st.offset === undefined ? 0 : parseSize(st.offset);
  if (st.memfd !== undefined) {
    k.emit(`P ${proc} mmap ${slot} ${k.fdSlot(st.memfd, st.process)} ${length} ${off} 0 ${k.memfdUnit(st.memfd)}`, "setup");
  } else {
    k.emit(`P ${proc} mmap ${slot} 0 ${length} 0 ${anonKind(st)} 0`, "setup");
  }
  if (st.populate) k.emit(`P ${proc} populate ${slot} 0 ${length}`, "setup");
}

export const mmap: OpDef<"mmap"> = {
  model: mmapModel,
  kernel(k, st, resolved) {
    mmapKernel(k, st, resolved?.length ?? 0);
  },
};

export const munmap: OpDef<"munmap"> = {
  model(r, st) {
    const mp = r.mapping(st.mapping);
    r.m.munmap(mp.pid, mp.addr);
    r.mappings.delete(mp.name);
    return { text: `${mp.process}: munmap ${mp.name}`, outcome: "ok" };
  },
  kernel(k, st) {
    const { proc, slot } = k.mapSlot(st.mapping);
    k.emit(`P ${proc} munmap ${slot}`, "setup");
  },
};

/** touch and write are stores, read a load, by the mapping's process. */
const access: OpDef<"touch" | "write" | "read"> = {
  model(r, st) {
    const mp = r.mapping(st.mapping);
    const off = r.offset(mp, st.offset);
    r.resolved = { mapping: mp.name, offset: off };
    const write = st.op !== "read";
    const res = r.m.touch(mp.pid, mp.addr + off, { write });
    r.lastAccess = res;
    r.stepAccess = res.result;
    const sig = res.signals.map((s) => `${s.sig}${s.code ? " " + s.code : ""} lsb ${s.lsb}`).join(", ");
    return { text: `${mp.process}: ${write ? "write" : "read"} ${mp.name}+${formatOffset(off)}`, outcome: sig ? `${res.result} (${sig})` : res.result };
  },
  kernel(k, st, resolved) {
    const { proc, slot } = k.mapSlot(st.mapping);
    k.emit(`P ${proc} acc ${slot} ${resolved?.offset ?? 0} ${st.op === "read" ? 0 : 1}`, "acc");
  },
};
export const touch = access as OpDef<"touch">;
export const write = access as OpDef<"write">;
export const read = access as OpDef<"read">;

export const populate: OpDef<"populate"> = {
  model(r, st) {
    const mp = r.mapping(st.mapping);
    const off = st.offset === undefined ? 0 : r.offset(mp, st.offset);
    const len = st.length === undefined ? mp.length - off : parseSize(st.length, "length");
    if (off + len > mp.length) throw r.err("length", `${formatOffset(off)} + ${formatOffset(len)} runs past mapping "${mp.name}" (length ${formatOffset(mp.length)})`);
    r.resolved = { mapping: mp.name, offset: off, length: len };
    r.m.populate(mp.pid, mp.addr + off, len);
    return { text: `${mp.process}: populate ${mp.name}+${formatOffset(off)}, ${formatOffset(len)}`, outcome: "ok" };
  },
  kernel(k, st, resolved) {
    const { proc, slot } = k.mapSlot(st.mapping);
    k.emit(`P ${proc} populate ${slot} ${resolved?.offset ?? 0} ${resolved?.length ?? 0}`, "setup");
  },
};

/**
 * pin_user_pages(FOLL_LONGTERM). On a kernel the pin is an io_uring fixed buffer
 * (io_sqe_buffer_register() pins with FOLL_WRITE | FOLL_LONGTERM): the same long-term pin that
 * iommufd's pfn_reader_user_pin() and VFIO's vaddr_get_pfns() take, so memory_failure() sees the
 * same extra references (has_extra_refcount(), a failed THP split).
 */
export const pin: OpDef<"pin"> = {
  model(r, st) {
    const mp = r.mapping(st.mapping);
    const off = r.offset(mp, st.offset);
    r.resolved = { mapping: mp.name, offset: off };
    const ok = r.m.pin(mp.pid, mp.addr + off);
    r.lastRet = ok ? 0 : -EFAULT;
    return { text: `${mp.process}: pin_user_pages(FOLL_LONGTERM) ${mp.name}+${formatOffset(off)}`, outcome: ok ? "pinned" : "no page to pin" };
  },
  kernel(k, st, resolved) {
    const { proc, slot } = k.mapSlot(st.mapping);
    const off = resolved?.offset ?? 0;
    k.emit(`P ${proc} pin ${k.pinSlot(st.mapping, off, true)} ${slot} ${off} 4096`, "ret");
  },
};

export const unpin: OpDef<"unpin"> = {
  model(r, st) {
    const mp = r.mapping(st.mapping);
    const off = r.offset(mp, st.offset);
    r.resolved = { mapping: mp.name, offset: off };
    const ok = r.m.unpin(mp.pid, mp.addr + off);
    return { text: `${mp.process}: unpin_user_pages ${mp.name}+${formatOffset(off)}`, outcome: ok ? "unpinned" : "no pin there" };
  },
  kernel(k, st, resolved) {
    const { proc } = k.mapSlot(st.mapping);
    k.emit(`P ${proc} unpin ${k.pinSlot(st.mapping, resolved?.offset ?? 0)}`, "setup");
  },
};
