// Exercise ch5.2: nvgrace_gpu_pfn_to_vma_pgoff(). Seeded nvgrace-gpu devices and mmaps are built
// with the library's NvgraceGpuDevice (src/vfio/nvgrace-gpu.ts); the student's callback and the
// device's pfnToVmaPgoff answer the same (VMA, PFN) questions, at region and VMA edges.
import { describe, it } from "vitest";
import {
  EFAULT, EINVAL, ENOENT, NVGRACE_GPU_VM_OPS, NvgraceGpuDevice, RESMEM_REGION_INDEX, USEMEM_REGION_INDEX, VFIO_PCI_PGOFF_PER_INDEX,
  formatSize, type PfnVma, type Rng,
} from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch5-nvgrace-pgoff";
type Mod = typeof import("../../exercises/ch5-nvgrace-pgoff/.meta/reference.js");
const FINISHED = ["NvgraceGpuDevice", "memoryFailurePfn", "PfnSpaceTree"];
const G = 2 ** 30;
const M2 = 2 ** 21;
const ERRNO: Record<number, string> = { [-ENOENT]: "-ENOENT", [-EINVAL]: "-EINVAL", [-EFAULT]: "-EFAULT" };
const hex = (n: number) => "0x" + n.toString(16);

function shown(r: unknown): string {
  if (!r || typeof r !== "object") return String(r);
  const o = r as { pgoff?: unknown; err?: unknown };
  if (typeof o.err === "number") return `{ err: ${ERRNO[o.err] ?? o.err} }`;
  if (typeof o.pgoff === "number") return `{ pgoff: ${hex(o.pgoff)} }`;
  return JSON.stringify(r);
}
const same = (a: unknown, b: { pgoff: number } | { err: number }) => shown(a) === shown(b);

/** The device as the student's callback sees it. */
function view(gpu: NvgraceGpuDevice) {
  return { mapping: gpu.mapping, vmOps: NVGRACE_GPU_VM_OPS, usemem: gpu.usemem, ...(gpu.resmem ? { resmem: gpu.resmem } : {}) };
}

function describeVma(gpu: NvgraceGpuDevice, v: PfnVma): string {
  const index = Math.floor(v.pgoff / VFIO_PCI_PGOFF_PER_INDEX);
  const off = (v.pgoff % VFIO_PCI_PGOFF_PER_INDEX) * 4096;
  const name = index === USEMEM_REGION_INDEX ? "usemem" : index === RESMEM_REGION_INDEX ? "resmem" : `region ${index}`;
  const whose = v.ops !== NVGRACE_GPU_VM_OPS ? `a VMA with vm_ops ${v.ops}` : v.mapping !== gpu.mapping ? `a VMA of another device file (${v.mapping.name})` : "a VMA";
  return `${whose} mapping ${formatSize(v.end - v.start)} of ${name} from offset ${off === 0 ? "0" : formatSize(off)}`;
}

/** A seeded device: usemem (1G aligned, 1G–64G) and, most of the time, resmem above it. */
function device(rng: Rng, name: string): NvgraceGpuDevice {
  const base = (4 * 1024 + rng.nextInt(4096)) * G;
  const usemem = (1 + rng.nextInt(64)) * G;
  const withResmem = rng.next() < 0.75;
  return new NvgraceGpuDevice(name, {
    usemem: { index: USEMEM_REGION_INDEX, memphys: base, memlength: usemem },
    ...(withResmem ? { resmem: { index: RESMEM_REGION_INDEX, memphys: base + usemem + G, memlength: (1 + rng.nextInt(4)) * G } } : {}),
  });
}

/** A seeded mmap of one of the device's regions: a 2M-aligned slice. */
function mapSome(rng: Rng, gpu: NvgraceGpuDevice, pid: number): PfnVma {
  const index = gpu.resmem && rng.next() < 0.3 ? RESMEM_REGION_INDEX : USEMEM_REGION_INDEX;
  const r = gpu.memregion(index)!;
  const chunks = r.memlength / M2;
  const from = rng.nextInt(chunks);
  const len = 1 + rng.nextInt(chunks - from);
  return gpu.mmap(pid, index, from * M2, len * M2, (1 + (pid % 64)) * 2 ** 40);
}

/** PFNs around the VMA and its region: edges, one page outside each edge, the other region. */
function probes(rng: Rng, gpu: NvgraceGpuDevice, v: PfnVma): number[] {
  const index = Math.floor(v.pgoff / VFIO_PCI_PGOFF_PER_INDEX);
  const r = gpu.memregion(index) ?? gpu.usemem;
  const first = r.memphys / 4096;
  const last = first + r.memlength / 4096 - 1;
  const vFirst = first + (v.pgoff % VFIO_PCI_PGOFF_PER_INDEX);
  const vLast = vFirst + (v.end - v.start) / 4096 - 1;
  const out = [first, last, first - 1, last + 1, vFirst, vLast, vFirst - 1, vLast + 1, first + rng.nextInt(last - first + 1)];
  const other = index === USEMEM_REGION_INDEX ? gpu.resmem : gpu.usemem;
  if (other) out.push(other.memphys / 4096 + rng.nextInt(other.memlength / 4096));
  return out.filter((p) => p >= 0);
}

describe("ch5.2 nvgrace_gpu_pfn_to_vma_pgoff", () => {
  it("the example: all of usemem mapped, a PFN 10G + 5 pages in; a foreign VMA; a PFN outside usemem", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    const gpu = new NvgraceGpuDevice("gpu0", { usemem: { index: USEMEM_REGION_INDEX, memphys: 4 * 2 ** 40 + 2 * G, memlength: 16 * G } });
    const v = gpu.mmap(100, USEMEM_REGION_INDEX, 0, 16 * G, 0x7f00_0000_0000);
    const pfn = gpu.pfnAt(USEMEM_REGION_INDEX, 10 * G + 5 * 4096);
    const want = gpu.pfnToVmaPgoff(v, pfn);
    const got = call("pfnToVmaPgoff", [view(gpu), describeVma(gpu, v), hex(pfn)], () => m.pfnToVmaPgoff(view(gpu), v, pfn));
    if (!same(got, want)) fail(`for ${describeVma(gpu, v)} and PFN ${hex(pfn)} (usemem offset 10G + 5 pages) the driver answers ${shown(want)}, but yours returned ${shown(got)}`);
    const foreign: PfnVma = { ...v, ops: "vfio_pci_mmap_ops" };
    const w2 = gpu.pfnToVmaPgoff(foreign, pfn);
    const g2 = call("pfnToVmaPgoff", [view(gpu), describeVma(gpu, foreign), hex(pfn)], () => m.pfnToVmaPgoff(view(gpu), foreign, pfn));
    if (!same(g2, w2)) fail(`${describeVma(gpu, foreign)} is not nvgrace-gpu's (vma_to_nvdev() fails): the answer is ${shown(w2)}, but yours returned ${shown(g2)}`);
    const out = pfn + 16 * 2 ** 18;
    const w3 = gpu.pfnToVmaPgoff(v, out);
    const g3 = call("pfnToVmaPgoff", [view(gpu), describeVma(gpu, v), hex(out)], () => m.pfnToVmaPgoff(view(gpu), v, out));
    if (!same(g3, w3)) fail(`PFN ${hex(out)} lies past usemem's last PFN, so the answer is ${shown(w3)}, but yours returned ${shown(g3)}`);
  });

  it("seeded devices and mmaps: every answer at region and VMA edges matches the driver", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 30, (rng, caseNo) => {
      const gpu = device(rng, `gpu${caseNo}`);
      const other = device(rng, `gpu${caseNo}b`);
      const vmas: PfnVma[] = [];
      for (let i = 0; i < 3; i++) vmas.push(mapSome(rng, gpu, 100 + i));
      // Not ours: another device's file, another driver's vm_ops, or a region index the device lacks.
      vmas.push(mapSome(rng, other, 200));
      vmas.push({ ...pick(rng, vmas.slice(0, 3)), ops: "vfio_pci_mmap_ops" });
      const bogus = pick(rng, [0, 1, 3, 5, gpu.resmem ? 6 : RESMEM_REGION_INDEX]);
      vmas.push({ ...vmas[0], pgoff: bogus * VFIO_PCI_PGOFF_PER_INDEX + (vmas[0].pgoff % VFIO_PCI_PGOFF_PER_INDEX) });
      for (const v of vmas) {
        for (const pfn of probes(rng, gpu, v)) {
          const want = gpu.pfnToVmaPgoff(v, pfn);
          const got = call("pfnToVmaPgoff", [view(gpu), describeVma(gpu, v), hex(pfn)], () => m.pfnToVmaPgoff(view(gpu), v, pfn));
          if (!same(got, want)) {
            fail(`${gpu.name} has usemem ${formatSize(gpu.usemem.memlength)} at ${hex(gpu.usemem.memphys)}${gpu.resmem ? ` and resmem ${formatSize(gpu.resmem.memlength)} at ${hex(gpu.resmem.memphys)}` : " and no resmem"}; for ${describeVma(gpu, v)} and PFN ${hex(pfn)} the driver answers ${shown(want)}, but yours returned ${shown(got)}`);
          }
        }
      }
    });
  });
});
