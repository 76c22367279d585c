// Three workloads on the MFR Machine (Chapters 1–3): a VM on a THP memfd, a VM on 1G HugeTLB, and a
// VM whose guest RAM a device DMAs to through iommufd. The policy is asked where the kernel or the
// RFC would decide, through the Machine's policy hooks; every number is read back from the Machine.
import { formatSize, parseSize } from "../../core/units.js";
import { Iommufd, type Device } from "../../iommufd/iommufd.js";
import { folioPoisoned } from "../../iommufd/pin.js";
import { Machine, type SignalInfo } from "../../mfr/machine.js";
import { folioNrPages, folioTest, PG_hugetlb, PG_hugetlb_freed, PG_hwpoison, type Folio } from "../../mfr/mm/folio.js";
import { entriesIn } from "../../mfr/mm/pagetable.js";
import { hugetlbDemoteRefusal } from "../../mfr/policy/hugetlb-split.js";
import type { MfPolicyHooks, ReleasePath } from "../../mfr/policy/hooks.js";
import type { Consultant } from "../consult.js";
import { splitThroughputLoss, Tally, ToldExtents } from "../metrics.js";
import type { MemfdUeChoice, PinnedChoice, ReleaseChoice, WorkloadId } from "../types.js";
import { errorOffsets, plural, probeOffsets, workloadRng, type BatteryParams, type WorkloadInfo, type WorkloadRun } from "./common.js";

interface MemfdSpec {
  id: WorkloadId;
  k: number;
  fs: "hugetlbfs" | "shmem";
  folio: "2M" | "1G";
  guest: string;
  machine: string;
  device: boolean;
}

const SPECS: Record<"vm-thp" | "vm-1g" | "dma", MemfdSpec> = {
  "vm-thp": { id: "vm-thp", k: 0, fs: "shmem", folio: "2M", guest: "512M", machine: "1G", device: false },
  "vm-1g": { id: "vm-1g", k: 1, fs: "hugetlbfs", folio: "1G", guest: "4G", machine: "6G", device: false },
  dma: { id: "dma", k: 2, fs: "hugetlbfs", folio: "2M", guest: "128M", machine: "512M", device: true },
};

export const MEMFD_WORKLOADS: Record<"vm-thp" | "vm-1g" | "dma", WorkloadInfo> = {
  "vm-thp": {
    id: "vm-thp", title: "VM on THP", chapter: 1,
    setup: "a VMM backs 512M of guest RAM with a shmem memfd of 2M THPs (the RFC's MemCycler setup, scaled down) on the Machine of Chapters 0–2",
    asks: "memfdUe (THP: keep the folio whole, or split and unmap 4K)",
  },
  "vm-1g": {
    id: "vm-1g", title: "VM on 1G HugeTLB", chapter: 2,
    setup: "a VMM backs 4G of guest RAM with a memfd of 1G HugeTLB pages, as Google and Oracle serve guest memory (RFC v2 cover letter)",
    asks: "memfdUe, and release at teardown when UEs were kept mapped",
  },
  dma: {
    id: "dma", title: "device DMA through iommufd", chapter: 3,
    setup: "a VMM backs 128M of guest RAM with 2M HugeTLB pages and maps all of it for a passthrough NIC with IOMMU_IOAS_MAP_FILE, one area per folio, pinned for the VM's life; at teardown the VMM exits, so the memfd is released while iommufd still pins it",
    asks: "memfdUe (the memfd is for a device), pinned (at each error and at release), release",
  },
};

const RELEASE_PATH: Record<ReleaseChoice, ReleasePath> = { leave: "leave", "at-once": "v1", "per-folio": "v2", deferred: "deferred" };

/** Runs one of the Machine workloads for the policy behind `consult`. */
export function runMemfdVm(which: "vm-thp" | "vm-1g" | "dma", consult: Consultant, p: BatteryParams): WorkloadRun {
  const spec = SPECS[which];
  const id = spec.id;
  const tally = new Tally(id);
  const notes: string[] = [];
  const told = new ToldExtents();
  const guest = parseSize(spec.guest);
  const folioBytes = parseSize(spec.folio);
  const nFolios = guest / folioBytes;
  let vmmEvents = 0;

  let memfdChoice: MemfdUeChoice = "unmap";
  let ctx: Iommufd | null = null;
  const pinnedAtRelease = new Map<Folio, PinnedChoice>();
  const hooks: MfPolicyHooks = {
    splitLargeFolio: () => memfdChoice !== "keep-mapped",
    splitHugetlbFolio: (f) => {
      if (memfdChoice !== "split") return false;
      const r = hugetlbDemoteRefusal(f);
      if (r?.code === "referenced") consult.refuse("memfdUe", id, `split of the ${spec.folio} folio at pfn ${f.pfn} refused: ${r.why}; it was unmapped whole instead`, "unmap");
      return r === null;
    },
    releasePath: (as, poisoned, reason) => {
      const choice = consult.ask("release", {
        decision: "release", workload: id, reason, folioSize: as.folioSize,
        poisonedFolios: poisoned.length, pinnedFolios: poisoned.filter((f) => f.pincount > 0).length,
      });
      return RELEASE_PATH[choice];
    },
    offlinePinned: (f) => {
      const c = pinnedAtRelease.get(f) ?? askPinned(f, "release");
      return c === "ebusy" ? "ebusy" : "try";
    },
  };
  const askPinned = (f: Folio, when: "error" | "release"): PinnedChoice =>
    consult.ask("pinned", {
      decision: "pinned", workload: id, when, folioSize: spec.folio, pins: f.pincount, revocable: true,
      keptMapped: !!f.mapping && f.mapping.keepUeMapped(),
    });

  const m = new Machine({ memory: spec.machine, hugetlb: spec.fs === "hugetlbfs" ? { [spec.folio]: nFolios } : {}, policyHooks: hooks, recordEvents: false });
  // The guard: a poisoned frame the model caught on the free lists (the checker has already
  // reported it) is taken off before anything can allocate it.
  m.notifiers.push({
    afterStep: () => {
      for (const pfn of m.mem.badFrames.keys()) {
        if (m.mem.buddy.isFree(pfn)) {
          m.mem.takePageOffBuddy(pfn, "scorecard guard");
          m.mem.hwpoison.add(pfn);
        }
      }
    },
  });
  const vmm = m.spawn();
  memfdChoice = consult.ask("memfdUe", { decision: "memfdUe", workload: id, fs: spec.fs, folioSize: spec.folio, memfdBytes: guest, forDevice: spec.device });
  const keep = memfdChoice === "keep-mapped" && spec.fs === "hugetlbfs";
  const fd = m.memfdCreate(vmm, { size: guest, hugetlb: spec.fs === "hugetlbfs" ? spec.folio : undefined, thp: spec.fs === "shmem", keepUeMapped: keep });
  const base = m.mmap(vmm, { length: guest, fd });
  m.populate(vmm, base, guest);

  let dev: Device | null = null;
  if (spec.device) {
    ctx = new Iommufd(m, vmm, { policy: "none" });
    const ioas = ctx.ioasAlloc();
    dev = ioas.attach("nic0");
    for (let i = 0; i < nFolios; i++) {
      const r = ioas.mapFile({ fd, start: i * folioBytes, length: folioBytes, iova: guest + i * folioBytes });
      if (r.ret !== 0) throw new Error(`dma workload: mapping guest RAM for the device failed (${r.ret})`);
    }
    const c = ctx;
    m.notifiers.push({
      memoryFailure: (pfn) => {
        const f = m.mem.pageFolio(pfn);
        if (!f || f.pincount === 0 || !f.mapping || c.closed) return;
        // Asked once per error: a consumption of a page already handled is not a new decision.
        if (f.rawHwp?.has(pfn) || m.mem.hwpoison.has(pfn)) return;
        if (askPinned(f, "error") === "revoke") c.revokeFile(f.mapping, f.index, f.index + folioNrPages(f), "policy: revoke at the error");
      },
      fileRangeRemove: (as, s, e, reason) => {
        for (const f of [...as.pages.values()]) {
          if (f.index < s || f.index >= e || f.pincount === 0 || !folioPoisoned(m, f)) continue;
          const choice = askPinned(f, "release");
          pinnedAtRelease.set(f, choice);
          if (choice === "revoke" && !c.closed) c.revokeFile(as, f.index, f.index + folioNrPages(f), `policy: revoke at ${reason}`);
        }
      },
    });
  }

  const rng = workloadRng(p.seed, spec.k);
  const offsets = errorOffsets(rng, p.errors, nFolios, folioBytes);
  const pfns = offsets.map((off) => m.pfnOf(vmm, base + off) as number);
  const poisonedOffsets = new Set(offsets);
  const alive = () => m.tasks.get(vmm)?.alive === true;
  const heard = (signals: readonly SignalInfo[]): void => {
    for (const s of signals) {
      if (s.pid !== vmm) continue;
      if (s.sig === "SIGKILL") continue;
      vmmEvents++;
      told.add(s.addr, s.lsb);
    }
  };

  for (let i = 0; i < offsets.length && alive(); i++) {
    const off = offsets[i];
    const addr = base + off;
    m.memoryFailure(pfns[i]);
    heard(m.stepSignals);
    // The guest touches its data on the page before it can react (retouch), then the device.
    for (let r = 0; r < p.retouch && alive(); r++) {
      const pre = m.pfnOf(vmm, addr);
      const consumes = pre !== null && m.mem.badFrames.has(pre);
      const res = m.read(vmm, addr);
      heard(res.signals);
      if (consumes) tally.add("repeatedConsumption", 1, `the VMM read a poisoned page it still maps (${memfdChoice === "keep-mapped" ? "kept mapped" : "not unmapped"})`);
    }
    const folioStart = off - (off % folioBytes);
    if (dev && alive()) {
      for (let r = 0; r < p.retouch; r++) classifyDma(dev.dma(guest + off), true);
      for (const h of probeOffsets(folioStart, folioBytes, p.probes, poisonedOffsets)) classifyDma(dev.dma(guest + h), false);
    }
    for (const h of probeOffsets(folioStart, folioBytes, p.probes, poisonedOffsets)) {
      if (!alive() || told.covers(base + h)) continue;
      const res = m.read(vmm, base + h);
      heard(res.signals);
      if (res.result !== "ok") tally.add("guestBreakage", 1, "the vCPU faulted on a healthy page of the poisoned folio");
    }
  }

  function classifyDma(r: { result: string }, poisonedTarget: boolean): void {
    if (r.result === "poison") tally.add("dmaToPoison", 1, "the device's DMA reached the poisoned frame: nothing told the IOMMU");
    else if (r.result === "offlined") tally.add("dmaToPoison", 1, "the device's DMA reached a folio memory-failure handling had taken away from the CPU side");
    else if (r.result === "io-page-fault" && !poisonedTarget) tally.add("guestBreakage", 1, "the device IO-page-faulted on a healthy page of a revoked area");
    else if (r.result === "freed") tally.add("dmaToPoison", 1, "the device's DMA reached a freed frame");
  }

  // Splits: how much of the guest the host maps with 4K entries now (Chapter 1's MemCycle input).
  const t = m.tasks.get(vmm);
  if (t && t.alive) {
    const small = entriesIn(t, base, base + guest).filter((e) => e.size === "4K").length * 4096;
    if (small > 0) {
      const loss = splitThroughputLoss(small / guest);
      tally.add("throughputLost", loss, `${formatSize(small)} of ${spec.guest} now mapped with 4K host entries (${spec.fs === "shmem" ? "THP split" : "HugeTLB folio demoted"}); MemCycle model at ${((100 * small) / guest).toFixed(2)} %`);
    }
  }
  const killed = !alive();
  if (killed) {
    tally.add("guestBreakage", 1, "the VMM was killed");
    notes.push("the VMM was killed");
  }
  for (const [size, n] of told.sizes()) {
    tally.add("memoryLostRunning", n * size, `SIGBUS told the VMM to give up ${plural(n, `${formatSize(size)} extent`)}`);
  }

  // Teardown: the VMM closes the memfd and exits (dma: exits first, so the memfd is released while
  // iommufd still pins it; iommufd closes after).
  if (!killed) {
    if (!spec.device) m.close(vmm, fd);
    m.exit(vmm);
  }
  if (ctx && !ctx.closed) ctx.close();
  p.onMachine?.(id, m);
  lostAfterTeardown(m, tally, spec.fs === "hugetlbfs" ? spec.folio : null);
  tally.add("vmmSignalTime", vmmEvents * p.signalCostUs, `${plural(vmmEvents, "SIGBUS")} handled by the VMM`);
  for (const v of m.violations) consult.invariant(id, `${v.name}: ${v.detail}`);
  if (memfdChoice === "keep-mapped" && spec.fs === "shmem") notes.push("MFD_MF_KEEP_UE_MAPPED needs MFD_HUGETLB: the THP was kept whole instead, as 7.3 does when a split fails");
  return { id, tally, vmmEvents, vmKilled: killed, notes };
}

/** Memory nobody can use after teardown, each part with its cause. */
function lostAfterTeardown(m: Machine, tally: Tally, hugetlb: "2M" | "1G" | null): void {
  const mem = m.mem;
  const offlined = mem.takenOff.size;
  let heldMf = 0;
  let pinned = 0;
  let pool = 0;
  let other = 0;
  for (const f of mem.folios.values()) {
    const n = folioNrPages(f);
    if (folioTest(f, PG_hugetlb) && folioTest(f, PG_hugetlb_freed)) {
      if (folioTest(f, PG_hwpoison)) pool += n;
    } else if (f.order === 0 && mem.hwpoison.has(f.pfn) && f.mapcount === 0 && f.pincount === 0) {
      tally.add("memoryLostAfter", 4096, "raw poisoned pages kept off the allocator");
    } else if (f.pincount > 0) pinned += n;
    else if (f.mfRefs > 0) heldMf += n;
    else other += n;
  }
  if (offlined) tally.add("memoryLostAfter", offlined * 4096, "raw poisoned pages kept off the allocator");
  if (heldMf) tally.add("memoryLostAfter", heldMf * 4096, `${hugetlb ?? "large"} folios leaked: still held by memory-failure handling's own references`);
  if (pinned) tally.add("memoryLostAfter", pinned * 4096, "folios still pinned after teardown");
  if (pool) tally.add("memoryLostAfter", pool * 4096, `poisoned ${hugetlb ?? ""} HugeTLB folios back in the pool whole, never handed out again (free_huge_folio())`);
  if (other) tally.add("memoryLostAfter", other * 4096, "folios nobody maps, caches or frees");
}
