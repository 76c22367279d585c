import { Machine, type MachineOptions, type MfrEvent } from "../../src/mfr/index.js";
import { Iommufd, type IommufdOptions } from "../../src/iommufd/index.js";

export const G = 2 ** 30;
export const M2 = 2 ** 21;

export function machine(o: Partial<MachineOptions> = {}): Machine {
  return new Machine({ memory: "4G", hugetlb: { "1G": 2, "2M": 8 }, ...o });
}

/** A VMM process with a hugetlb memfd mapped and faulted in, and an iommufd with one IOAS and one device. */
export function vmmWithMemfd(o: { size?: string; hugetlb?: "2M" | "1G"; keepUeMapped?: boolean; machine?: Partial<MachineOptions>; iommufd?: IommufdOptions } = {}) {
  const m = machine(o.machine);
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

export function mfEvents(m: Machine): Extract<MfrEvent, { kind: "memory_failure" }>[] {
  return m.events.filter((e): e is Extract<MfrEvent, { kind: "memory_failure" }> => e.kind === "memory_failure");
}

export function lastMf(m: Machine): Extract<MfrEvent, { kind: "memory_failure" }> {
  const all = mfEvents(m);
  if (all.length === 0) throw new Error("memory_failure() logged no action_result");
  return all[all.length - 1];
}

export function iommuEvents(m: Machine, what: string): Extract<MfrEvent, { kind: "iommu" }>[] {
  return m.events.filter((e): e is Extract<MfrEvent, { kind: "iommu" }> => e.kind === "iommu" && e.what === what);
}

export function violationText(m: Machine): string {
  return m.violations.map((v) => `${v.name}: ${v.detail}`).join("\n");
}
