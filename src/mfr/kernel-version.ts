// Which kernel the model follows. Mainline is 7.3; 6.12 is the long-term line the course was first
// written against. Every branch of the model that depends on the version asks hasChange() for one
// row of KERNEL_CHANGES, so each branch names the commit or series that changed the behaviour.
import { ParameterError } from "../core/errors.js";

/** The kernels the course models and the kernel lab boots (Debian's 6.12.117 and 7.3.4 trees). */
export type KernelVersion = "6.12" | "7.3";

export const KERNEL_VERSIONS: readonly KernelVersion[] = ["6.12", "7.3"];

/** Mainline. */
export const DEFAULT_KERNEL_VERSION: KernelVersion = "7.3";

/** The exact trees the model was checked against. */
export const KERNEL_SOURCE_CHECKED: Readonly<Record<KernelVersion, string>> = {
  "6.12": "6.12.117",
  "7.3": "7.3.4",
};

/** One behaviour that differs between the modelled kernels. */
export interface KernelChange {
  /** What the kernel does since the change, in one line. */
  what: string;
  /** What it did before (in 6.12). */
  before: string;
  /** First modelled version with the change. */
  since: KernelVersion;
  /** The patch or series that made the change: subject, author, date (and the release when confirmed). */
  source: string;
  /** The kernel functions that decide it, as read in both trees. */
  functions: string[];
}

/** Ids of the changes the model branches on (or that the pages teach without a branch). */
export type KernelChangeId =
  | "kernel-owned-page"
  | "panic-on-unrecoverable"
  | "pfn-without-struct-page"
  | "ghes-pfn-without-struct-page"
  | "ghes-sync-task-work"
  | "split-to-min-order"
  | "iommufd-map-file";

export const KERNEL_CHANGES: Readonly<Record<KernelChangeId, KernelChange>> = {
  "kernel-owned-page": {
    what: "a reserved, slab, page-table or large-kmalloc page is classified first: get_any_page() returns -ENOTRECOVERABLE and memory_failure() reports MF_MSG_KERNEL / MF_IGNORED",
    before: "a reserved page is not HWPoisonHandlable(): get_any_page() retries and gives -EIO, reported as MF_MSG_GET_HWPOISON / MF_IGNORED",
    since: "7.3",
    source: 'Breno Leitao, "mm/memory-failure: add panic option for unrecoverable pages" (v7, 13 May 2026), in 7.3.4',
    functions: ["is_kernel_owned_page", "get_any_page", "memory_failure"],
  },
  "panic-on-unrecoverable": {
    what: "vm.panic_on_unrecoverable_memory_failure = 1 panics in action_result() on MF_MSG_KERNEL / MF_IGNORED",
    before: "no such sysctl",
    since: "7.3",
    source: 'Breno Leitao, "mm/memory-failure: add panic option for unrecoverable pages" (v7, 13 May 2026), in 7.3.4',
    functions: ["panic_on_unrecoverable_mf", "action_result"],
  },
  "pfn-without-struct-page": {
    what: "a PFN with no struct page goes to memory_failure_pfn(): MF_MSG_PFN_MAP, MF_IGNORED (-EBUSY) when no driver registered it, not counted",
    before: 'no struct page and no dev_pagemap: "memory outside kernel control", -ENXIO',
    since: "7.3",
    source: 'Ankit Agrawal, "mm: handle poisoning of pfn without struct pages" (v5, 2 Nov 2025; merged in the v6.19 merge window) and its fixup e6dbcb7c0e7b (v6.19-rc4)',
    functions: ["memory_failure", "memory_failure_pfn", "action_result"],
  },
  "ghes-pfn-without-struct-page": {
    what: "ghes_do_memory_failure() passes any address on, so a firmware-reported error on device memory reaches memory_failure()",
    before: 'ghes_do_memory_failure() drops an address failing pfn_valid(): "Invalid address in generic error data"',
    since: "7.3",
    source: 'Ankit Agrawal, "mm: Change ghes code to allow poison of non-struct pfn" (v4 1/3, 26 Oct 2025; merged in the v6.19 merge window)',
    functions: ["ghes_do_memory_failure"],
  },
  "ghes-sync-task-work": {
    what: "a synchronous GHES error (arm64 SEA) runs memory_failure(pfn, MF_ACTION_REQUIRED) from task work (memory_failure_cb), which sends a plain SIGBUS when recovery fails",
    before: "the synchronous error is queued with MF_ACTION_REQUIRED and the queue is kicked from task work (ghes_kick_task_work → memory_failure_queue_kick); a failed recovery sends nothing more",
    since: "7.3",
    source: 'Shuai Xue, "ACPI: APEI: handle synchronous errors in task work with proper si_code" (v9, 7 Oct 2023); in 7.3.4, not in 6.12.117 (merge release not confirmed)',
    functions: ["ghes_do_memory_failure", "memory_failure_cb", "ghes_kick_task_work"],
  },
  "split-to-min-order": {
    what: "a large folio is split to min_order_for_split(); a file folio whose mapping has a minimum order above 0 is split as far as it goes and still counted MF_MSG_UNSPLIT_THP / MF_FAILED with a kill",
    before: "try_to_split_thp_page() splits to order 0 or fails",
    since: "7.3",
    source: 'Zi Yan, "mm/memory-failure: improve large block size folio handling" (v3 3/4, Oct 2025), in 7.3.4',
    functions: ["memory_failure", "min_order_for_split", "try_to_split_thp_page"],
  },
  "iommufd-map-file": {
    what: "IOMMU_IOAS_MAP_FILE maps a memfd range (memfd_pin_folios()), or a dma-buf, by file descriptor",
    before: "no such ioctl: iommufd maps memory by virtual address only (IOMMU_IOAS_MAP); the ioctl is -ENOTTY",
    since: "7.3",
    source: 'Steve Sistare, "iommufd: Add IOMMU_IOAS_MAP_FILE" (posted 25 Oct 2024, commit f4986a72d6e4), v6.13',
    functions: ["iommufd_ioas_map_file", "iopt_map_file_pages"],
  },
};

/** Does kernel `v` have the change? */
export function hasChange(v: KernelVersion, id: KernelChangeId): boolean {
  return KERNEL_VERSIONS.indexOf(v) >= KERNEL_VERSIONS.indexOf(KERNEL_CHANGES[id].since);
}

/** Checks a version given by a user (an option, a scenario file, a CLI flag). */
export function parseKernelVersion(v: unknown, parameter = "kernel"): KernelVersion {
  if (v === undefined) return DEFAULT_KERNEL_VERSION;
  const s = typeof v === "number" ? v.toFixed(2).replace(/0$/, "") : v;
  if (typeof s === "string" && (KERNEL_VERSIONS as readonly string[]).includes(s)) return s as KernelVersion;
  throw new ParameterError(parameter, `"${String(v)}" is not a modelled kernel`, `use ${KERNEL_VERSIONS.map((k) => `"${k}"`).join(" or ")}`);
}
