// The design space of Chapter 6, laid out as the thread laid it out: for each decision point,
// where the kernel (or the RFC) decides, who argued what, and what each choice does in the model.
// Pages, the notebook and the CLI print this table; they never retype it.
import { CHOICES, DECISION_IDS, type ChoiceOf, type DecisionId } from "./types.js";

export interface ChoiceInfo<D extends DecisionId = DecisionId> {
  id: ChoiceOf[D];
  label: string;
  /** What the model does with this answer. */
  does: string;
  /** Whose idea, with the date, or "mainline 7.3". */
  source: string;
  /** What mainline Linux 7.3 does at this point (a kernel lab can replay it). */
  mainline: boolean;
}

export interface DecisionInfo<D extends DecisionId = DecisionId> {
  id: D;
  title: string;
  /** The question the policy answers. */
  question: string;
  /** When the model asks it, and the kernel function (or RFC function) that decides there. */
  asked: string;
  /** The argument in the thread, paraphrased, with who and when. */
  thread: string;
  /** Which chapter teaches the mechanism. */
  chapter: number;
  choices: readonly ChoiceInfo<D>[];
}

type Table = { readonly [D in DecisionId]: DecisionInfo<D> };

export const DECISIONS: Table = {
  memfdUe: {
    id: "memfdUe",
    title: "A UE in a guest memfd page",
    question: "Keep the poisoned page mapped, unmap it, or split the folio first?",
    asked:
      "once per guest memfd, when the VMM creates it: the RFC makes the policy a property of the memfd (MFD_MF_KEEP_UE_MAPPED at memfd_create()), and memory_failure() reads it at each error (hwpoison_user_mappings(), me_huge_page(), try_to_split_thp_page())",
    thread:
      "Jiaqi Yan's RFC (18 Jan 2025) keeps HugeTLB UEs mapped per memfd so a VM loses 4K instead of 1G, limiting the risk of repeated consumption to the process that opted in; Jason Gunthorpe agreed with per-memfd granularity (20 Jan 2025) but objected that splitting costs IO performance too (the IOTLB cliff), not only MemCycle's CPU numbers; Zi Yan (22 Jan 2025) suggested splitting non-uniformly so large pieces survive.",
    chapter: 2,
    choices: [
      { id: "unmap", label: "unmap", does: "HugeTLB: the whole folio is poisoned and unmapped, SIGBUS carries the huge shift (lsb 30 for 1G); THP: split, then unmap the 4K page (the kernel cannot unmap part of a THP without splitting it)", source: "mainline 7.3", mainline: true },
      { id: "keep-mapped", label: "keep mapped", does: "MFD_MF_KEEP_UE_MAPPED: nothing is unmapped or split; SIGBUS with lsb 12; a later access consumes the poison again. For a THP memfd (which the RFC refuses with -EINVAL) the model keeps the folio whole, as 7.3 does when a split fails", source: "Jiaqi Yan, RFC v1, 18 Jan 2025 (HugeTLB; THP shmem named as a possible extension)", mainline: false },
      { id: "split", label: "split", does: "THP: as mainline. HugeTLB: demote the folio first (the 2M block with the error to 4K, the rest to 2M), then unmap only the 4K page; refused for a folio a device pins", source: "Zi Yan, 22 Jan 2025 (non-uniform split); the 1G guest_memfd RFC's 1G→2M→4K split (Ackerley Tng, 2024–2025); not kernel code for hugetlbfs", mainline: false },
    ],
  },
  release: {
    id: "release",
    title: "Release or truncate of poisoned folios",
    question: "When a memfd that kept its UEs mapped lets go of poisoned folios, offline them at once, one by one, when their last reference drops, or not at all?",
    asked:
      "when poisoned folios leave a memfd with MFD_MF_KEEP_UE_MAPPED (truncate, hole punch, release of the inode): hugetlbfs remove_inode_hugepages() → the RFC's offline_memfd_hwp_folios() (v1) or filemap_offline_hwpoison_folio() (v2/v3)",
    thread:
      "RFC v1 collected poisoned folios before removal and offlined them in one batch; its own cover letter proposed doing it per folio, which Jason called more workable, adding that people keep wanting to hook free_folio (20 Jan 2025) — and warned that with VFIO the folio 'should' become free but 'won't'. v2 (Nov 2025) offlines one folio at a time.",
    chapter: 2,
    choices: [
      { id: "leave", label: "leave", does: "nothing offlines them: MF keeps its references and the folios stay unusable (what happens to every poisoned HugeTLB page-cache folio in mainline: Jiaqi Yan, 21 Jan 2025, 'effectively leaked')", source: "mainline 7.3 (no such memfd exists there)", mainline: true },
      { id: "at-once", label: "offline at once", does: "RFC v1: populate_memfd_hwp_folios() before removal, offline_memfd_hwp_folios() after (with William Roche's fix of Sep 2025: always take the raw page off the buddy allocator)", source: "Jiaqi Yan, RFC v1, 18 Jan 2025", mainline: false },
      { id: "per-folio", label: "per folio", does: "RFC v2/v3: filemap_offline_hwpoison_folio() as each folio is removed: drop MF's references, dissolve, keep the raw pages off", source: "Jiaqi Yan, v2 (Nov 2025) and v3 (Feb 2026)", mainline: false },
      { id: "deferred", label: "deferred", does: "a proposal: MF drops its references at removal, and the folio is dissolved (raw pages kept off) when its last reference drops, e.g. when a device finally unpins it: the free_folio hook", source: "the v1 cover letter's per-folio idea in free_folio; Jason Gunthorpe, 20 Jan 2025 ('people want to hook free_folio')", mainline: false },
    ],
  },
  pinned: {
    id: "pinned",
    title: "A poisoned folio that is long-term pinned",
    question: "A device pins the poisoned folio (iommufd, for the VM's life): offline it anyway, refuse with -EBUSY, or revoke the pinning mapping?",
    asked:
      "at the error (memory_failure(): is there anyone to tell?) and when the memfd releases the folio (filemap_offline_hwpoison_folio() meets folio_maybe_dma_pinned())",
    thread:
      "Jason Gunthorpe (20 Jan 2025): iommufd holds guest memory pinned for the VM's life and will not drop its reference after truncate or zap; there is no callback into the IOMMU, so the guest can still DMA to offlined memory. Jiaqi Yan (21 Jan 2025): a DMA-pinned folio should never be offlined; a no-op or -EBUSY is fine. Jason (Feb 2026, iommufd/guest_memfd thread): a notifier from the memory's owner that revokes a whole iommufd area.",
    chapter: 3,
    choices: [
      { id: "offline", label: "offline anyway", does: "memory-failure handling goes ahead as if there were no pin: at the error nothing tells the IOMMU (the device keeps its translation), at release MF drops its references and the dissolve fails with -EBUSY; the folio is freed, poisoned, only when the pin goes", source: "mainline 7.3 at the error; the RFC as posted at release", mainline: true },
      { id: "ebusy", label: "-EBUSY", does: "at release, leave a DMA-pinned folio alone and return -EBUSY; MF keeps its references, so the folio is never offlined", source: "Jiaqi Yan, 21 Jan 2025", mainline: false },
      { id: "revoke", label: "revoke", does: "the memfd tells iommufd, which revokes the area over the folio: pins dropped, IOPTEs and IOTLB invalidated; the device's DMA there then IO-page-faults. Only fd-based mappings (IOMMU_IOAS_MAP_FILE) can be revoked", source: "Jason Gunthorpe, iommufd/guest_memfd thread, Feb 2026 (revoke on truncate); at the error it is a callback mainline lacks", mainline: false },
    ],
  },
  gmemError: {
    id: "gmemError",
    title: "An error in guest_memfd",
    question: "A page of a confidential guest's private memory is poisoned: zap its folio from stage-2, keep it mapped in the secure world, or split and zap only 4K?",
    asked: "at each error: memory_failure() → truncate_error_folio() → guest_memfd's .error_remove_folio, kvm_gmem_error_folio()",
    thread:
      "The RFC (18 Jan 2025) wanted KVM to keep healthy GFNs of a poisoned folio mapped in stage-2. Jason Gunthorpe (20 Jan 2025): for guest_memfd the question is what is communicated to the secure world, and since several secure-world designs share the stage-2 between CPU and IOMMU, 'you can't just unmap 1G of memory without completely breaking the guest'.",
    chapter: 4,
    choices: [
      { id: "zap-folio", label: "zap the folio", does: "kvm_gmem_error_folio(): every GFN of the folio is unmapped from stage-2; a later fault gets -EHWPOISON (KVM_EXIT_MEMORY_FAULT); with a shared stage-2 the device loses them too", source: "mainline 7.3", mainline: true },
      { id: "keep-mapped", label: "keep mapped", does: "nothing is unmapped in the secure world; the poisoned page stays reachable by the vCPU and the device (repeated consumption)", source: "the RFC's guest_memfd extension (18 Jan 2025), reframed by Jason Gunthorpe (20 Jan 2025)", mainline: false },
      { id: "split-then-zap", label: "split, zap 4K", does: "split the folio down to the poisoned page (1G → 2M → 4K) and zap that page only; costs stage-2 entries", source: "the 1G guest_memfd RFC's suggested split (Ackerley Tng, 2024–2025); not kernel code", mainline: false },
    ],
  },
  pfnError: {
    id: "pfnError",
    title: "An error in a driver-owned PFN range",
    question: "A page of device memory mapped into the VMM (a VFIO BAR, no struct page) is poisoned: unmap it, keep it mapped and signal, or hand it to the driver that owns it?",
    asked: "at each error: memory_failure() sees a PFN without struct page → memory_failure_pfn()",
    thread:
      "The RFC's VFIO extension would let userspace keep device PFNs mapped through a flag on the VFIO device file. Jason Gunthorpe (20 Jan 2025): after Ankit Agrawal's patches no address space is involved; the dispatch is on the physical address and 'what happens will be up to the driver that owns the memory' — perhaps VFIO just always keeps things mapped. Ankit's series (in mainline since v6.19; nvgrace-gpu registers its memory in 7.3) does not unmap: breaking a huge pfnmap 'can greatly increase the cost of table walks'.",
    chapter: 5,
    choices: [
      { id: "driver", label: "hand to the driver", does: "memory_failure_pfn(): the owning driver's registered range is found by physical address, every process mapping the page gets SIGBUS at the address the driver's pfn_to_vma_pgoff() gives, nothing is unmapped; a range no driver registered is ignored (MF_IGNORED) and nobody is told", source: "mainline 7.3 (Ankit Agrawal's series, since v6.19)", mainline: true },
      { id: "keep", label: "keep mapped, signal", does: "keep every mapping and signal the processes that map the page through the device file, whether or not the driver registered the range", source: "the RFC's VFIO extension (18 Jan 2025): a keep-mapped flag on the VFIO device file", mainline: false },
      { id: "unmap", label: "unmap", does: "zap the poisoned page from every mapping, as for RAM, and signal: the huge pfnmap leaf holding it is broken into 4K entries (Chapter 5's zap cost)", source: "the RFC's VFIO default without the flag; cf. Jiaqi Yan's sysctl_enable_hard_offline sketch for memory_failure_pfn() (kvm list, 29 Aug 2024)", mainline: false },
    ],
  },
};

/** The decision table in order. */
export function decisionList(): DecisionInfo[] {
  return DECISION_IDS.map((d) => DECISIONS[d] as unknown as DecisionInfo);
}

/** The entry for one choice. */
export function choiceInfo<D extends DecisionId>(d: D, c: ChoiceOf[D]): ChoiceInfo<D> {
  const info = (DECISIONS[d].choices as readonly ChoiceInfo<D>[]).find((x) => x.id === c);
  if (!info) throw new Error(`no choice ${String(c)} for ${d}`);
  return info;
}

// Keep the table and the choice lists in step (checked at load; a test checks it too).
for (const d of DECISION_IDS) {
  const ids = DECISIONS[d].choices.map((c) => c.id);
  if (ids.join() !== (CHOICES[d] as readonly string[]).join()) throw new Error(`decisions.ts: ${d} lists ${ids.join()} but CHOICES has ${CHOICES[d].join()}`);
}
