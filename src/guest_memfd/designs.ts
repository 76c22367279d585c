import { ParameterError } from "../core/errors.js";

/**
 * Confidential-computing designs, reduced to the one question the seed's last paragraph turns on:
 * does a device's DMA to private memory go through the CPU's stage-2 (S-EPT) — so a zap by
 * kvm_gmem_error_folio() also takes the page away from the device — or through IOMMU tables of
 * its own that the zap does not touch? Sources are the course fact brief's (the iommufd /
 * guest_memfd RFC thread, Feb 2026); they were not re-read here. Anything not stated there is
 * labelled ASSUMPTION. Which vendors share page tables physically is UNVERIFIED in general.
 */

export type CocoDesignId = "tdx-connect" | "sev-snp" | "arm-cca" | "pkvm" | "no-device";

export interface CocoDesign {
  id: CocoDesignId;
  name: string;
  /** Device DMA to private memory is translated by the CPU's stage-2 / S-EPT (true) or by separate IOMMU tables (false). */
  iommuSharesStage2: boolean;
  /** Why iommuSharesStage2 has this value: the source's statement, or "ASSUMPTION: …". */
  sharingBasis: string;
  /** What a DMA to an unmapped private GFN does, with its source or "ASSUMPTION: …". */
  dmaToUnmapped: string;
  source: string;
  /** true when iommuSharesStage2 rests on a source the course read; the DMA outcome may still be an assumption. */
  verified: boolean;
  /** false only for "no-device": no assigned device, so no DMA at all. */
  hasDevice: boolean;
}

export const COCO_DESIGNS: readonly CocoDesign[] = [
  {
    id: "tdx-connect",
    name: "Intel TDX Connect (TEE-IO)",
    iommuSharesStage2: true,
    sharingBasis: "the secure IOMMU reuses the S-EPT for the private half of the GPA space (conversions still need an IOTLB flush)",
    dmaToUnmapped: "ASSUMPTION: the secure IOMMU walks the same S-EPT, finds no entry and the device's DMA fails (a translation fault); nothing in the brief says how the guest's driver sees it. A wrong shared IOPTE pointing at private memory is a different case: a host machine check and restart.",
    source: "Xu Yilun (Intel), iommufd/guest_memfd RFC thread, 27–28 Feb 2026 (course fact brief §4)",
    verified: true,
    hasDevice: true,
  },
  {
    id: "sev-snp",
    name: "AMD SEV-SNP / SEV-TIO",
    iommuSharesStage2: false,
    sharingBasis: "the IOMMU maps both shared and private pages in its own tables, whose IOPTEs are restructured to match the RMP layout",
    dmaToUnmapped: "kvm_gmem_error_folio() zaps KVM's NPT entries only, so the IOMMU still translates the GFN; an access the IOMMU does refuse raises IOMMU fault events, noisy but harmless (Kardashevskiy, Gunthorpe)",
    source: "Alexey Kardashevskiy and Jason Gunthorpe, iommufd/guest_memfd RFC thread, Feb 2026 (course fact brief §4)",
    verified: true,
    hasDevice: true,
  },
  {
    id: "arm-cca",
    name: "Arm CCA (RME)",
    iommuSharesStage2: false,
    sharingBasis: "ASSUMPTION: the brief says only that GPT faults are contained and that the IPA space is split (private low half, shared high half); whether the SMMU shares the realm's stage-2 is not stated, so the model gives the device separate tables",
    dmaToUnmapped: "ASSUMPTION: with separate tables the zap leaves the device's translation in place; a refused access is a contained granule-protection (GPT) fault (Jason, Feb 2026)",
    source: "Jason Gunthorpe, iommufd/guest_memfd RFC thread, Feb 2026 (course fact brief §4)",
    verified: false,
    hasDevice: true,
  },
  {
    id: "pkvm",
    name: "Android pKVM",
    iommuSharesStage2: false,
    sharingBasis: "ASSUMPTION: Will Deacon reportedly prefers not to unmap from the IOMMU on conversions, which the model reads as IOMMU tables kept apart from the CPU's stage-2",
    dmaToUnmapped: "ASSUMPTION: the zap leaves the device's translation in place (not unmapped from the IOMMU)",
    source: "Ackerley Tng relaying an LPC 2025 discussion, iommufd/guest_memfd RFC thread, Feb 2026 (course fact brief §4)",
    verified: false,
    hasDevice: true,
  },
  {
    id: "no-device",
    name: "No assigned device",
    iommuSharesStage2: false,
    sharingBasis: "no device is assigned to the guest: only vCPUs touch private memory",
    dmaToUnmapped: "no device DMA",
    source: "—",
    verified: true,
    hasDevice: false,
  },
];

/** The design record for an id; a ParameterError names the ids. */
export function cocoDesign(id: CocoDesignId): CocoDesign {
  const d = COCO_DESIGNS.find((x) => x.id === id);
  if (!d) throw new ParameterError("design", `"${String(id)}" is not a modelled design`, `use one of ${COCO_DESIGNS.map((x) => x.id).join(", ")}`);
  return d;
}
