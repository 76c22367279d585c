// Kernel constants the model uses, with the values and names of the kernel's headers
// (include/linux/mm.h enum mf_flags, enum mf_result, enum mf_action_page_type;
// include/uapi/asm-generic/siginfo.h; include/uapi/linux/memfd.h; include/linux/pagemap.h).

/** memory_failure() flags (enum mf_flags). */
export const MF_COUNT_INCREASED = 1 << 0;
export const MF_ACTION_REQUIRED = 1 << 1;
export const MF_MUST_KILL = 1 << 2;
export const MF_SOFT_OFFLINE = 1 << 3;
export const MF_UNPOISON = 1 << 4;
export const MF_SW_SIMULATED = 1 << 5;
export const MF_NO_RETRY = 1 << 6;

/** enum mf_result values: an .error_remove_folio() op returns one; MF_DELAYED is 2, which is why
 * truncate_error_folio()'s "err != 0" test matters (Chapter 4). */
export const MF_IGNORED = 0;
export const MF_FAILED = 1;
export const MF_DELAYED = 2;
export const MF_RECOVERED = 3;


/** Page type named in the "recovery action for …" line (enum mf_action_page_type). */
export type MfMsg =
  | "MF_MSG_KERNEL"
  | "MF_MSG_KERNEL_HIGH_ORDER"
  | "MF_MSG_HUGE"
  | "MF_MSG_FREE_HUGE"
  | "MF_MSG_GET_HWPOISON"
  | "MF_MSG_UNMAP_FAILED"
  | "MF_MSG_DIRTY_SWAPCACHE"
  | "MF_MSG_CLEAN_SWAPCACHE"
  | "MF_MSG_DIRTY_MLOCKED_LRU"
  | "MF_MSG_CLEAN_MLOCKED_LRU"
  | "MF_MSG_DIRTY_UNEVICTABLE_LRU"
  | "MF_MSG_CLEAN_UNEVICTABLE_LRU"
  | "MF_MSG_DIRTY_LRU"
  | "MF_MSG_CLEAN_LRU"
  | "MF_MSG_TRUNCATED_LRU"
  | "MF_MSG_BUDDY"
  | "MF_MSG_DAX"
  | "MF_MSG_UNSPLIT_THP"
  | "MF_MSG_ALREADY_POISONED"
  /** Since 7.x (v6.19 merge window): a PFN without struct page, handled by memory_failure_pfn(). */
  | "MF_MSG_PFN_MAP"
  | "MF_MSG_UNKNOWN";

/** action_page_types[] in mm/memory-failure.c: the text the kernel logs per type. */
export const ACTION_PAGE_TYPES: Readonly<Record<MfMsg, string>> = {
  MF_MSG_KERNEL: "reserved kernel page",
  MF_MSG_KERNEL_HIGH_ORDER: "high-order kernel page",
  MF_MSG_HUGE: "huge page",
  MF_MSG_FREE_HUGE: "free huge page",
  MF_MSG_GET_HWPOISON: "get hwpoison page",
  MF_MSG_UNMAP_FAILED: "unmapping failed page",
  MF_MSG_DIRTY_SWAPCACHE: "dirty swapcache page",
  MF_MSG_CLEAN_SWAPCACHE: "clean swapcache page",
  MF_MSG_DIRTY_MLOCKED_LRU: "dirty mlocked LRU page",
  MF_MSG_CLEAN_MLOCKED_LRU: "clean mlocked LRU page",
  MF_MSG_DIRTY_UNEVICTABLE_LRU: "dirty unevictable LRU page",
  MF_MSG_CLEAN_UNEVICTABLE_LRU: "clean unevictable LRU page",
  MF_MSG_DIRTY_LRU: "dirty LRU page",
  MF_MSG_CLEAN_LRU: "clean LRU page",
  MF_MSG_TRUNCATED_LRU: "already truncated LRU page",
  MF_MSG_BUDDY: "free buddy page",
  MF_MSG_DAX: "dax page",
  MF_MSG_UNSPLIT_THP: "unsplit thp",
  MF_MSG_ALREADY_POISONED: "already poisoned page",
  MF_MSG_PFN_MAP: "non struct page pfn",
  MF_MSG_UNKNOWN: "unknown page",
};

/** si_code values of SIGBUS for memory errors (BUS_MCEERR_AR = 4, BUS_MCEERR_AO = 5). */
export const BUS_MCEERR_AR = 4;
export const BUS_MCEERR_AO = 5;
export type SigbusCode = "BUS_MCEERR_AR" | "BUS_MCEERR_AO";

/** errno values returned (negated) by the modelled kernel functions. */
export const EPERM = 1;
export const EIO = 5;
export const ENXIO = 6;
export const ENOMEM = 12;
export const ENOTTY = 25;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const EINVAL = 22;
export const EOPNOTSUPP = 95;
/** get_any_page() since 7.x: a kernel-owned page no handler can recover (is_kernel_owned_page()). */
export const ENOTRECOVERABLE = 131;
export const EHWPOISON = 133;

/** memfd_create() flags (include/uapi/linux/memfd.h; MFD_MF_KEEP_UE_MAPPED from the RFC series). */
export const MFD_CLOEXEC = 0x0001;
export const MFD_ALLOW_SEALING = 0x0002;
export const MFD_HUGETLB = 0x0004;
export const MFD_MF_KEEP_UE_MAPPED = 0x0020;

/** address_space flag bit (enum mapping_flags): 9 in RFC v1, 12 in v3. The model uses v3's value. */
export const AS_MF_KEEP_UE_MAPPED = 12;

/**
 * prctl(PR_MCE_KILL, PR_MCE_KILL_SET, arg3): arg3 is one value, PR_MCE_KILL_LATE (0),
 * PR_MCE_KILL_EARLY (1) or PR_MCE_KILL_DEFAULT (2), not a set of flags (kernel/sys.c). "default"
 * (also PR_MCE_KILL_CLEAR) follows vm.memory_failure_early_kill.
 */
export type MceKillPolicy = "default" | "early" | "late";
export const PR_MCE_KILL = 33;
export const PR_MCE_KILL_CLEAR = 0;
export const PR_MCE_KILL_SET = 1;
export const PR_MCE_KILL_LATE = 0;
export const PR_MCE_KILL_EARLY = 1;
export const PR_MCE_KILL_DEFAULT = 2;

/** Largest buddy order (MAX_PAGE_ORDER = 10 on x86-64: 4M blocks). */
export const MAX_PAGE_ORDER = 10;

/** Folio orders the model allocates: 4K, 2M (PMD THP or hugetlb), 1G (hugetlb). */
export const ORDER_4K = 0;
export const ORDER_2M = 9;
export const ORDER_1G = 18;

/** Reference bias a FOLL_LONGTERM pin adds to an order-0 folio (GUP_PIN_COUNTING_BIAS). */
export const GUP_PIN_COUNTING_BIAS = 1024;
