// Exercise ch2.1: the MFD_MF_KEEP_UE_MAPPED decision. Each seeded case is run on the course's
// Machine (src/mfr/): memfd_create with the flags, errors reported by the hardware, then reads;
// the student's rules must predict what the model did.
import { describe, it } from "vitest";
import { EINVAL, MFD_ALLOW_SEALING, MFD_CLOEXEC, MFD_HUGETLB, MFD_MF_KEEP_UE_MAPPED, Machine, type Rng } from "../../src/index.js";
import { call, fail, loadExercise, pick, seeded } from "./_harness.js";

const ID = "ch2-keep-ue-decision";
type Mod = typeof import("../../exercises/ch2-keep-ue-decision/.meta/reference.js");
const FINISHED = ["Machine", "memoryLostByPolicy", "bootGuestVm", "runPolicyLoss", "memoryFailure"];

function flagNames(flags: number): string {
  const n: string[] = [];
  if (flags & MFD_CLOEXEC) n.push("MFD_CLOEXEC");
  if (flags & MFD_ALLOW_SEALING) n.push("MFD_ALLOW_SEALING");
  if (flags & MFD_HUGETLB) n.push("MFD_HUGETLB");
  if (flags & MFD_MF_KEEP_UE_MAPPED) n.push("MFD_MF_KEEP_UE_MAPPED");
  return n.length ? n.join(" | ") : "0";
}

interface Drawn {
  flags: number;
  hugetlb?: "2M" | "1G";
  errors: number;
  via: "hardware" | "madvise";
}

function draw(rng: Rng): Drawn {
  let flags = pick(rng, [0, MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_CLOEXEC | MFD_ALLOW_SEALING]);
  const kind = pick(rng, ["shmem", "shmem+keep", "2M", "2M", "1G", "1G"]);
  if (kind === "shmem+keep") flags |= MFD_MF_KEEP_UE_MAPPED;
  let hugetlb: "2M" | "1G" | undefined;
  if (kind === "2M" || kind === "1G") {
    flags |= MFD_HUGETLB;
    hugetlb = kind;
    if (rng.next() < 0.6) flags |= MFD_MF_KEEP_UE_MAPPED;
  }
  return { flags, hugetlb, errors: hugetlb ? 1 + rng.nextInt(4) : 1, via: rng.next() < 0.5 ? "hardware" : "madvise" };
}

/** Runs the case on the Machine; null when memfd_create refuses it. */
function model(d: Drawn, rng: Rng): { ret: number; keptMapped: boolean; siAddrLsb: number | null; neighbourReadable: boolean; mfRefs: number } {
  const folioPages = d.hugetlb === "1G" ? 262144 : d.hugetlb === "2M" ? 512 : 1;
  const m = new Machine({ memory: d.hugetlb === "1G" ? "2G" : "64M", hugetlb: d.hugetlb ? { [d.hugetlb]: 1 } : {} });
  const pid = m.spawn();
  const size = d.hugetlb ?? "2M";
  const fd = m.memfdCreate(pid, { size, flags: d.flags, hugetlb: d.hugetlb });
  if (fd < 0) return { ret: fd, keptMapped: false, siAddrLsb: null, neighbourReadable: false, mfRefs: 0 };
  const addr = m.mmap(pid, { length: size, fd });
  m.populate(pid, addr, size);
  const span = d.hugetlb ? folioPages : 512;
  const pages = new Set<number>();
  while (pages.size < d.errors) pages.add(rng.nextInt(span));
  const bad = [...pages];
  const pfns = bad.map((p) => m.pfnOf(pid, addr + p * 4096) as number);
  if (d.via === "hardware") for (const pfn of pfns) m.memoryFailure(pfn);
  else for (const p of bad) m.madviseHwpoison(pid, addr + p * 4096);
  const mfRefs = m.mem.pageFolio(pfns[0])?.mfRefs ?? 0;
  const keptMapped = m.pfnOf(pid, addr + bad[0] * 4096) !== null;
  let healthy = rng.nextInt(span);
  while (pages.has(healthy)) healthy = (healthy + 1) % span;
  const r = m.read(pid, addr + bad[0] * 4096);
  const n = m.read(pid, addr + healthy * 4096);
  return { ret: 0, keptMapped, siAddrLsb: r.signals[0]?.lsb ?? null, neighbourReadable: n.result === "ok", mfRefs };
}

function what(d: Drawn): string {
  return `memfd_create(${flagNames(d.flags)})${d.hugetlb ? ` with ${d.hugetlb} HugeTLB pages` : " (shmem, 4K pages)"}, ${d.errors} bad raw page${d.errors > 1 ? "s" : ""} in one folio ${d.via === "hardware" ? "reported by the hardware" : "injected with MADV_HWPOISON"}`;
}

describe("ch2.1 keep-UE-mapped decision", () => {
  it("memfdCreateRet: the flag needs MFD_HUGETLB (sanitize_flags)", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 16, (rng) => {
      const d = draw(rng);
      const mm = new Machine({ memory: "64M", hugetlb: { "2M": 1 } });
      const fd = mm.memfdCreate(mm.spawn(), { size: "2M", flags: d.flags });
      const want = fd === -EINVAL ? -EINVAL : 0;
      const got = call("memfdCreateRet", [d.flags], () => m.memfdCreateRet(d.flags));
      if (got !== want) fail(`memfd_create(${flagNames(d.flags)}) ${want === 0 ? "is accepted (0)" : "fails with -EINVAL"}, but your memfdCreateRet(${d.flags}) returned ${String(got)}`);
    });
  });

  it("ueOutcome: what the process sees after the errors, checked against the Machine", async () => {
    const m = await loadExercise<Mod>(ID, { forbid: FINISHED });
    seeded(ID, 14, (rng) => {
      const d = draw(rng);
      const want = model(d, rng);
      if (want.ret !== 0) return;
      const got = call("ueOutcome", [d], () => m.ueOutcome({ ...d }));
      if (!got || typeof got !== "object") fail(`ueOutcome must return an object, got ${String(got)}`);
      const w = what(d);
      if (got.keptMapped !== want.keptMapped) {
        fail(`${w}: the first bad page is ${want.keptMapped ? "still mapped (the policy skips the unmap)" : "unmapped and replaced by a hwpoison entry"}, but your keptMapped is ${String(got.keptMapped)}`);
      }
      if (got.siAddrLsb !== want.siAddrLsb) {
        fail(`${w}: reading the bad page ${want.siAddrLsb === null ? "completes (the data is intact: nothing is consumed)" : `raises SIGBUS with si_addr_lsb ${want.siAddrLsb}`}, but your siAddrLsb is ${String(got.siAddrLsb)}`);
      }
      if (got.neighbourReadable !== want.neighbourReadable) {
        fail(`${w}: a healthy page of the same folio ${want.neighbourReadable ? "is still readable" : "raises SIGBUS too (the whole folio is gone)"}, but your neighbourReadable is ${String(got.neighbourReadable)}`);
      }
      if (got.mfRefs !== want.mfRefs) fail(`${w}: memory-failure holds ${want.mfRefs} reference${want.mfRefs === 1 ? "" : "s"} on the folio (its own, or handed over with MF_COUNT_INCREASED), but your mfRefs is ${String(got.mfRefs)}`);
    });
  });
});
