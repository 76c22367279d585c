// The built-in policies: mainline 7.3, the RFC's versions, and the alternatives the thread proposed.
// Each is a Policy like a student's, so they stand in the same line-up. Where a version's behaviour
// at a decision point is not recorded in the sources read, the policy keeps the previous version's
// answer and its `summary` says so.
import type { MemfdUeContext, Policy } from "./types.js";

/** The RFC's flag needs MFD_HUGETLB (sanitize_flags() in v3; v1 implemented HugeTLB only): a THP memfd keeps mainline's behaviour. */
const keepHugetlb = (ctx: Readonly<MemfdUeContext>) => (ctx.fs === "hugetlbfs" ? "keep-mapped" : "unmap") as "keep-mapped" | "unmap";

export const MAINLINE: Policy = {
  name: "mainline 7.3",
  summary: "What Linux 7.3 does: HugeTLB poisoned and unmapped whole, THP split; nothing offlines a released poisoned folio; no callback into the IOMMU; kvm_gmem_error_folio() zaps the folio; memory_failure_pfn() dispatches to the owning driver",
  memfdUe: "unmap",
  release: "leave",
  pinned: "offline",
  gmemError: "zap-folio",
  pfnError: "driver",
};

export const RFC_V1: Policy = {
  name: "RFC v1",
  summary: "Jiaqi Yan, 18 Jan 2025: MFD_MF_KEEP_UE_MAPPED on HugeTLB memfds, offline in one batch at release, and the cover letter's guest_memfd and VFIO extensions (keep mapped)",
  memfdUe: keepHugetlb,
  release: "at-once",
  pinned: "offline",
  gmemError: "keep-mapped",
  pfnError: "keep",
};

export const RFC_V2: Policy = {
  name: "RFC v2",
  summary: "Nov 2025: HugeTLB only, offline one folio at a time on removal; guest_memfd and VFIO left as mainline; no change for pinned folios recorded in our sources",
  memfdUe: keepHugetlb,
  release: "per-folio",
  pinned: "offline",
  gmemError: "zap-folio",
  pfnError: "driver",
};

export const RFC_V3: Policy = {
  name: "RFC v3",
  summary: "Feb 2026: v2's decisions, rebased on free_has_hwpoisoned() and with PAGE_SHIFT in kill_accessing_process(): code changes, not different answers, so its scores equal v2's",
  memfdUe: keepHugetlb,
  release: "per-folio",
  pinned: "offline",
  gmemError: "zap-folio",
  pfnError: "driver",
};

export const NEVER_OFFLINE_PINNED: Policy = {
  ...RFC_V2,
  name: "never offline pinned",
  summary: "RFC v2 with Jiaqi Yan's answer to Jason (21 Jan 2025): a DMA-pinned folio is never offlined, -EBUSY",
  pinned: "ebusy",
};

export const REVOKE_NOTIFIER: Policy = {
  ...RFC_V2,
  name: "revoke notifier",
  summary: "RFC v2 with a notifier from the memfd to iommufd that revokes the pinning area, at the error and at release (Jason Gunthorpe's direction, Feb 2026)",
  pinned: "revoke",
};

export const FREE_FOLIO_HOOK: Policy = {
  ...RFC_V2,
  name: "free_folio hook",
  summary: "RFC v2, but a poisoned folio still referenced at release is offlined when its last reference drops (the v1 cover letter's free_folio idea; Jason: 'people want to hook free_folio')",
  release: "deferred",
};

export const SECURE_WORLD_KEEP: Policy = {
  ...RFC_V2,
  name: "keep in secure world",
  summary: "RFC v2 plus Jason Gunthorpe's reframing for guest_memfd (20 Jan 2025): leave the pages mapped in the secure world",
  gmemError: "keep-mapped",
};

export const SPLIT_FIRST: Policy = {
  name: "split first",
  summary: "Split instead of keeping poison mapped: HugeTLB demoted around the error (Zi Yan's non-uniform split, 22 Jan 2025; the 1G guest_memfd RFC's 1G→2M→4K), guest_memfd split then zap 4K",
  memfdUe: "split",
  release: "per-folio",
  pinned: "offline",
  gmemError: "split-then-zap",
  pfnError: "driver",
};

export const HARD_OFFLINE_PFN: Policy = {
  ...MAINLINE,
  name: "hard-offline PFN",
  summary: "Mainline, but device memory is hard-offlined: the poisoned page is zapped from every mapping (Jiaqi Yan's sysctl sketch for memory_failure_pfn(), Aug 2024)",
  pfnError: "unmap",
};

/** Every built-in policy, mainline first. */
export const BUILTIN_POLICIES: readonly Policy[] = [
  MAINLINE, RFC_V1, RFC_V2, RFC_V3, NEVER_OFFLINE_PINNED, REVOKE_NOTIFIER, FREE_FOLIO_HOOK, SECURE_WORLD_KEEP, SPLIT_FIRST, HARD_OFFLINE_PFN,
];

/** A built-in policy by name (case-insensitive); undefined when there is none. */
export function builtinPolicy(name: string): Policy | undefined {
  const n = name.trim().toLowerCase();
  return BUILTIN_POLICIES.find((p) => p.name.toLowerCase() === n || slug(p.name) === n);
}

/** "mainline 7.3" → "mainline-7.3": a name usable as a flag value or an id. */
export function slug(name: string): string {
  return name.trim().toLowerCase().replace(/[^a-z0-9.]+/g, "-").replace(/^-|-$/g, "");
}
