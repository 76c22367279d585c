import type { PageSize } from "../../core/units.js";
import type { MceKillPolicy } from "../constants.js";
import type { MmAddressSpace } from "./mapping.js";

/** A virtual memory area (struct vm_area_struct), byte addresses [start, end). */
export interface Vma {
  readonly start: number;
  readonly end: number;
  /** File mapping (memfd) or null for private anonymous memory. */
  readonly file: MmAddressSpace | null;
  /** File offset of `start`, in 4K pages (vm_pgoff). */
  readonly pgoff: number;
  /** Anonymous huge mapping size: "2M" allows THP, "1G"/"2M" with hugetlb means MAP_HUGETLB. */
  readonly anonHuge: PageSize | null;
  readonly hugetlb: boolean;
}

/** One page-table entry: a present mapping of `pfn` (folio head for huge), or a hwpoison swap entry. */
export interface Pte {
  pfn: number;
  size: PageSize;
  hwpoison: boolean;
}

/**
 * A process (task + mm): VMAs and a page table keyed per level (PTE, PMD, PUD) by virtual
 * page number in that level's unit, so lookups never scan.
 */
export class Task {
  readonly vmas: Vma[] = [];
  readonly pte = new Map<number, Pte>();
  readonly pmd = new Map<number, Pte>();
  readonly pud = new Map<number, Pte>();
  readonly fds = new Map<number, MmAddressSpace>();
  alive = true;
  /** prctl(PR_MCE_KILL) choice; "default" follows vm.memory_failure_early_kill. */
  mceKill: MceKillPolicy = "default";
  /** CAP_SYS_ADMIN: madvise(MADV_HWPOISON/MADV_SOFT_OFFLINE) needs it (madvise_inject_error()). */
  capSysAdmin = true;
  nextFd = 3;
  /** Next free virtual address for mmap (1G aligned areas keep huge mappings possible). */
  nextAddr = 0x7f0000000000;

  constructor(readonly pid: number) {}

  findVma(addr: number): Vma | undefined {
    for (const v of this.vmas) if (addr >= v.start && addr < v.end) return v;
    return undefined;
  }
}
