// iommufd and VFIO type1 (Chapter 3, src/iommufd). A mainline kernel needs an IOMMU and an
// assignable device for these; the VM has neither, so they are model only. The `pin` op takes
// the same FOLL_LONGTERM pin on a real kernel (io_uring fixed buffers).
import { parseSize } from "../../core/units.js";
import { Iommufd, VfioContainer } from "../../iommufd/index.js";
import { errnoName, formatOffset, hex } from "../format.js";
import type { OpDef } from "./types.js";

const NO_DEVICE = { modelOnly: "the VM has no IOMMU and no assignable device (the pin op takes the same FOLL_LONGTERM pin through io_uring)" };

export const iommufd: OpDef<"iommufd"> = {
  model(r, st) {
    if (r.iommufds.has(st.name)) throw r.err("name", `an iommufd "${st.name}" already exists`);
    const pid = r.pid(st.process, "process");
    const iotlb = st.iotlbEntries === undefined ? undefined : { entries: st.iotlbEntries };
    const ctx = new Iommufd(r.m, pid, { policy: st.policy, revokeOnPoison: st.revokeOnPoison, accountMode: st.accountMode, iotlb });
    r.iommufds.set(st.name, ctx);
    const pol = st.policy ?? "none";
    const extra = pol === "revoke" ? `, revokeOnPoison ${st.revokeOnPoison ?? true}` : "";
    return { text: `${st.process}: open /dev/iommu as ${st.name} (policy ${pol}${extra})`, outcome: "ok" };
  },
  kernel: NO_DEVICE,
};

export const ioas: OpDef<"ioas"> = {
  model(r, st) {
    if (r.ioases.has(st.name)) throw r.err("name", `an IOAS "${st.name}" already exists`);
    const ctx = r.iommufd(st.iommufd, "iommufd");
    r.ioases.set(st.name, ctx.ioasAlloc());
    return { text: `${st.iommufd}: IOMMU_IOAS_ALLOC ${st.name}`, outcome: "ok" };
  },
  kernel: NO_DEVICE,
};

export const attach: OpDef<"attach"> = {
  model(r, st) {
    if (r.devices.has(st.device)) throw r.err("device", `a device "${st.device}" is already attached`);
    const dev = st.ioas !== undefined ? r.ioas(st.ioas, "ioas").attach(st.device) : r.vfio(st.vfio as string, "vfio").attach(st.device);
    r.devices.set(st.device, dev);
    return { text: `attach ${st.device} to ${st.ioas ?? st.vfio}`, outcome: "ok" };
  },
  kernel: NO_DEVICE,
};

export const map: OpDef<"map"> = {
  model(r, st) {
    const io = r.ioas(st.ioas, "ioas");
    const mp = r.mapping(st.mapping);
    const off = st.offset === undefined ? 0 : r.offset(mp, st.offset);
    const len = st.length === undefined ? mp.length - off : parseSize(st.length, "length");
    if (off + len > mp.length) throw r.err("length", `${formatOffset(off)} + ${formatOffset(len)} runs past mapping "${mp.name}" (length ${formatOffset(mp.length)})`);
    const iova = st.iova === undefined ? undefined : parseSize(st.iova, "iova");
    const res = io.map({ uptr: mp.addr + off, length: len, iova, pid: mp.pid });
    r.lastRet = res.ret;
    if (res.ret === 0) r.addArea(st.name, "ioas", st.ioas, res.iova, len);
    return { text: `${mp.process}: IOMMU_IOAS_MAP ${st.ioas} ${mp.name}+${formatOffset(off)}, ${formatOffset(len)}${st.name ? ` as ${st.name}` : ""}`, outcome: res.ret === 0 ? `IOVA ${hex(res.iova)}` : errnoName(res.ret) };
  },
  kernel: NO_DEVICE,
};

export const mapFile: OpDef<"map-file"> = {
  model(r, st) {
    const io = r.ioas(st.ioas, "ioas");
    const f = r.memfd(st.memfd, "memfd");
    const proc = st.process ?? f.owner;
    const { pid, fd } = r.fdOf(f, proc, "process");
    const start = st.start === undefined ? 0 : parseSize(st.start, "start");
    const len = st.length === undefined ? f.size - start : parseSize(st.length, "length");
    const iova = st.iova === undefined ? undefined : parseSize(st.iova, "iova");
    const res = io.mapFile({ fd, start, length: len, iova, pid });
    r.lastRet = res.ret;
    if (res.ret === 0) r.addArea(st.name, "ioas", st.ioas, res.iova, len);
    return { text: `${proc}: IOMMU_IOAS_MAP_FILE ${st.ioas} ${f.name}@${formatOffset(start)}, ${formatOffset(len)}${st.name ? ` as ${st.name}` : ""}`, outcome: res.ret === 0 ? `IOVA ${hex(res.iova)}` : errnoName(res.ret) };
  },
  kernel: NO_DEVICE,
};

export const ioasUnmap: OpDef<"ioas-unmap"> = {
  model(r, st) {
    const io = r.ioas(st.ioas, "ioas");
    return r.unmapRange(st, "ioas", st.ioas, "IOMMU_IOAS_UNMAP", (iova, len) => io.unmap(iova, len));
  },
  kernel: NO_DEVICE,
};

export const ioasCopy: OpDef<"ioas-copy"> = {
  model(r, st) {
    const from = r.ioas(st.from, "from");
    const to = r.ioas(st.to, "to");
    const a = r.area(st.area, "area");
    if (a.kind !== "ioas" || a.owner !== st.from) throw r.err("area", `area "${a.name}" is not in IOAS "${st.from}"`);
    const ctx = [...r.iommufds.values()].find((c) => c.ioases.has(from));
    if (!ctx || !ctx.ioases.has(to)) throw r.err("to", `IOAS "${st.to}" is not in the same iommufd as "${st.from}"`);
    const res = ctx.copy(from, a.iova, a.length, to, st.iova === undefined ? undefined : parseSize(st.iova, "iova"));
    r.lastRet = res.ret;
    if (res.ret === 0) r.addArea(st.name, "ioas", st.to, res.iova, a.length);
    return { text: `IOMMU_IOAS_COPY ${st.from}:${a.name} → ${st.to}${st.name ? ` as ${st.name}` : ""}`, outcome: res.ret === 0 ? `IOVA ${hex(res.iova)}` : errnoName(res.ret) };
  },
  kernel: NO_DEVICE,
};

export const dma: OpDef<"dma"> = {
  model(r, st) {
    const dev = r.devices.get(st.device);
    if (!dev) throw r.err("device", `no device "${st.device}"`, r.known("devices", [...r.devices.keys()]));
    let iova: number;
    let where: string;
    if (st.area !== undefined) {
      const a = r.area(st.area, "area");
      const off = st.offset === undefined ? 0 : parseSize(st.offset, "offset");
      if (off >= a.length) throw r.err("offset", `${formatOffset(off)} is outside area "${a.name}" (length ${formatOffset(a.length)})`);
      iova = a.iova + off;
      where = `${a.name}+${formatOffset(off)}`;
    } else {
      iova = parseSize(st.iova as string | number, "iova");
      where = `IOVA ${hex(iova)}`;
    }
    if (!dev.domain.devices.has(dev.name)) {
      r.lastDma = "io-page-fault";
      return { text: `${st.device}: DMA ${st.read ? "read" : "write"} at ${where}`, outcome: "detached (no DMA)" };
    }
    const res = dev.dma(iova, { write: !st.read });
    r.lastDma = res.result;
    return { text: `${st.device}: DMA ${st.read ? "read" : "write"} at ${where}`, outcome: res.pfn === null ? res.result : `${res.result} (pfn ${hex(res.pfn)}${res.iotlbHit ? ", IOTLB hit" : ""})` };
  },
  kernel: NO_DEVICE,
};

export const iommufdClose: OpDef<"iommufd-close"> = {
  model(r, st) {
    const ctx = r.iommufd(st.iommufd, "iommufd");
    ctx.close();
    // The IOASes keep their names, so a later use says they went with the iommufd.
    for (const [name, io] of r.ioases) if (io.ctx === ctx) r.dropAreas("ioas", name, 0, Number.MAX_SAFE_INTEGER);
    return { text: `close(${st.iommufd}): every IOAS destroyed`, outcome: "ok" };
  },
  kernel: NO_DEVICE,
};

export const vfio: OpDef<"vfio"> = {
  model(r, st) {
    if (r.vfios.has(st.name)) throw r.err("name", `a VFIO container "${st.name}" already exists`);
    r.vfios.set(st.name, new VfioContainer(r.m, r.pid(st.process, "process")));
    return { text: `${st.process}: open /dev/vfio/vfio as ${st.name} (type1)`, outcome: "ok" };
  },
  kernel: NO_DEVICE,
};

export const vfioMap: OpDef<"vfio-map"> = {
  model(r, st) {
    const c = r.vfio(st.vfio, "vfio");
    const mp = r.mapping(st.mapping);
    if (mp.pid !== c.pid) throw r.err("mapping", `mapping "${mp.name}" belongs to "${mp.process}", not to the container's process`);
    const off = st.offset === undefined ? 0 : r.offset(mp, st.offset);
    const len = st.length === undefined ? mp.length - off : parseSize(st.length, "length");
    if (off + len > mp.length) throw r.err("length", `${formatOffset(off)} + ${formatOffset(len)} runs past mapping "${mp.name}"`);
    const iova = parseSize(st.iova, "iova");
    const ret = c.mapDma({ vaddr: mp.addr + off, iova, size: len });
    r.lastRet = ret;
    if (ret === 0) r.addArea(st.name, "vfio", st.vfio, iova, len);
    return { text: `${mp.process}: VFIO_IOMMU_MAP_DMA ${st.vfio} ${mp.name}+${formatOffset(off)}, ${formatOffset(len)} at IOVA ${hex(iova)}`, outcome: errnoName(ret) };
  },
  kernel: NO_DEVICE,
};

export const vfioUnmap: OpDef<"vfio-unmap"> = {
  model(r, st) {
    const c = r.vfio(st.vfio, "vfio");
    return r.unmapRange(st, "vfio", st.vfio, "VFIO_IOMMU_UNMAP_DMA", (iova, len) => c.unmapDma(iova, len));
  },
  kernel: NO_DEVICE,
};

export const vfioClose: OpDef<"vfio-close"> = {
  model(r, st) {
    const c = r.vfio(st.vfio, "vfio");
    c.close();
    r.dropAreas("vfio", st.vfio, 0, Number.MAX_SAFE_INTEGER);
    return { text: `close(${st.vfio}): every vfio_dma unmapped and unpinned`, outcome: "ok" };
  },
  kernel: NO_DEVICE,
};
