import { smallMachine } from "../mfr/helpers.js";
import { MF_ACTION_REQUIRED, type Machine, type MachineOptions, type MfrEvent } from "../../src/mfr/index.js";
import { Iommufd, type IommufdOptions } from "../../src/iommufd/index.js";

export const G = 2 ** 30;
export const M2 = 2 ** 21;

// The same small machine and event helpers as the MFR tests.
export { smallMachine as machine, mfEvents, lastMf, violationText } from "../mfr/helpers.js";

/** A VMM process with a hugetlb memfd mapped and faulted in, and an iommufd with one IOAS and one device. */
export function vmmWithMemfd(o: { size?: string; hugetlb?: "2M" | "1G"; keepUeMapped?: boolean; machine?: Partial<MachineOptions>; iommufd?: IommufdOptions } = {}) {
  const m = smallMachine(o.machine);
  const vmm = m.spawn();
  const size = o.size ?? "2M";
  const fd = m.memfdCreate(vmm, { size, hugetlb: o.hugetlb ?? "2M", keepUeMapped: o.keepUeMapped });
  const addr = m.mmap(vmm, { length: size, fd });
  m.populate(vmm, addr, size);
  const ctx = new Iommufd(m, vmm, o.iommufd);
  const ioas = ctx.ioasAlloc();
  const dev = ioas.attach("nic0");
  return { m, vmm, fd, addr, ctx, ioas, dev };
}

export function iommuEvents(m: Machine, what: string): Extract<MfrEvent, { kind: "iommu" }>[] {
  return m.events.filter((e): e is Extract<MfrEvent, { kind: "iommu" }> => e.kind === "iommu" && e.what === what);
}


/**
 * A real uncorrected error at `addr` of `pid`, consumed by that process (a machine check →
 * memory_failure(pfn, MF_ACTION_REQUIRED)). Not MADV_HWPOISON: an injected error leaves good data
 * in the cells, so a device DMA to it would not reach poison.
 */
export function hwError(m: Machine, pid: number, addr: number) {
  return m.memoryFailure(m.pfnOf(pid, addr) as number, MF_ACTION_REQUIRED, { current: pid });
}
