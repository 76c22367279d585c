/**
 * Every kernel identifier the course links to with [[kernel:PATH#IDENT]], checked to be defined
 * in that file (a definition, not a call) in mainline source of the v6.12 era, with what was
 * read. No copy tagged exactly v6.12 was available, so each note says which era's copy was read.
 *
 * The site build and test/site/pages.test.ts pass this to kernelRefPlugin: a reference that is
 * not listed fails the build, so a new link must be checked against the source and added here.
 * Checked 2026-11-24.
 */
export const CHECKED_KERNEL_REFS: Readonly<Record<string, string>> = {
  "arch/x86/kernel/cpu/mce/core.c#kill_me_maybe": "v5.17–6.0-era copy and a post-v6.12 patch",
  "drivers/iommu/iommufd/io_pagetable.c#iopt_unmap_iova": "seen only in a v6.2–6.4-era copy (older than v6.12)",
  "drivers/iommu/iommufd/pages.c#batch_unpin": "seen only in a v6.3/6.4-era copy (older than v6.12)",
  "drivers/iommu/iommufd/pages.c#do_update_pinned": "seen only in a v6.3/6.4-era copy (older than v6.12)",
  "drivers/iommu/iommufd/pages.c#pfn_reader_user_init": "seen only in a v6.3/6.4-era copy (older than v6.12)",
  "drivers/iommu/iommufd/pages.c#pfn_reader_user_pin": "seen only in a v6.3/6.4-era copy (older than v6.12)",
  "drivers/vfio/vfio_iommu_type1.c#vaddr_get_pfns": "seen only in a v6.2/6.3-era copy (older than v6.12)",
  "drivers/vfio/vfio_iommu_type1.c#vfio_dma_do_unmap": "seen only in a v6.2/6.3-era copy (older than v6.12)",
  "drivers/vfio/vfio_iommu_type1.c#vfio_lock_acct": "seen only in a v6.2/6.3-era copy (older than v6.12)",
  "drivers/vfio/vfio_iommu_type1.c#vfio_remove_dma": "seen only in a v6.2/6.3-era copy (older than v6.12)",
  "drivers/vfio/vfio_iommu_type1.c#vfio_unmap_unpin": "seen only in a v6.2/6.3-era copy (older than v6.12)",
  "include/linux/mm.h#folio_maybe_dma_pinned": "static inline; seen in a 2025 patch against mm.h only (no full mm.h of the era read)",
  "kernel/signal.c#force_sig_mceerr": "seen only in a v6.2–6.6-era copy (older than v6.12)",
  "kernel/signal.c#send_sig_mceerr": "seen only in a v6.2–6.6-era copy (older than v6.12)",
  "mm/hugetlb.c#dissolve_free_hugetlb_folio": "v6.13-era copy; renamed from dissolve_free_huge_page around v6.10",
  "mm/hugetlb.c#hugetlb_no_page": "v6.13-era copy",
  "mm/madvise.c#madvise_inject_error": "v5.14–5.19-era copy and 2025 patches (still present after v6.12; signature changed in 2025)",
  "mm/memory-failure.c#__add_to_kill": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#__page_handle_poison": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#action_result": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#collect_procs_file": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#folio_set_hugetlb_hwpoison": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP); under CONFIG_HUGETLB_PAGE, in memory-failure.c, not hugetlb.c",
  "mm/memory-failure.c#get_hwpoison_page": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#has_extra_refcount": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#hwpoison_user_mappings": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#identify_page_state": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#kill_accessing_process": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#kill_proc": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#kill_procs_now": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#me_huge_page": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#me_pagecache_clean": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#me_swapcache_dirty": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#memory_failure": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#memory_failure_queue": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#soft_offline_page": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#task_early_kill": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#try_memory_failure_hugetlb": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#try_to_split_thp_page": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/memory-failure.c#unpoison_memory": "read in full in a v6.12/6.13-era copy (has kill_procs_now and MF_MSG_ALREADY_POISONED, not MF_MSG_PFN_MAP)",
  "mm/page_alloc.c#take_page_off_buddy": "a copy newer than v6.12",
  // Chapter 5 (checked 2026-11-24). These exist at v6.12; the functions Ankit Agrawal's series added
  // (memory_failure_pfn, register_pfn_address_space, collect_procs_pfn, nvgrace_gpu_pfn_to_vma_pgoff)
  // are newer than the pinned version and are cited by patch, not linked.
  "drivers/acpi/apei/ghes.c#ghes_do_memory_failure": "static bool in ghes.c; seen in v5.x copies and in the Oct 2025 patch that removes its pfn_valid() check",
  "drivers/vfio/pci/nvgrace-gpu/main.c#nvgrace_gpu_mmap": "read in full in a v6.10–6.12-era copy (remap_pfn_range(), then vm_pgoff = start_pfn)",
  "drivers/vfio/pci/nvgrace-gpu/main.c#nvgrace_gpu_open_device": "read in full in a v6.10–6.12-era copy (no poison registration yet)",
  "drivers/vfio/pci/nvgrace-gpu/main.c#nvgrace_gpu_close_device": "read in full in a v6.10–6.12-era copy (no poison registration yet)",
  "drivers/vfio/vfio_main.c#vfio_df_open": "seen in v6.6+ copies and patches: open_device only when open_count becomes 1",
  "include/linux/vfio_pci_core.h#VFIO_PCI_OFFSET_SHIFT": "#define, 40; seen in a patch moving it into include/linux/vfio_pci_core.h (v5.x) and in later copies",
  "mm/internal.h#vma_address": "static inline vma_address(vma, pgoff, nr_pages); seen in 2025 copies of mm/internal.h",
  "mm/memory-failure.c#kill_procs": "static; read in a v6.12/6.13-era copy and in Jane Chu's 2024 patch (SIGKILL only for an -EFAULT address)",
  // Chapter 4 (checked 2026-11-24). guest_memfd.c read in full in a v6.11/6.12-era copy (struct
  // kvm_gmem, kvm_gmem_populate(), __kvm_gmem_get_pfn() with a prepare flag) and in 2026 copies.
  "virt/kvm/guest_memfd.c#kvm_gmem_error_folio": "read in full in a v6.11/6.12-era copy: whole-folio index range, no truncate, returns MF_DELAYED; unchanged in 2026 copies",
  "virt/kvm/guest_memfd.c#kvm_gmem_invalidate_begin": "read in full in a v6.11/6.12-era copy: clamps the range to each bound memslot, kvm_mmu_unmap_gfn_range()",
  "virt/kvm/guest_memfd.c#kvm_gmem_get_folio": "read in full in a v6.11/6.12-era copy: \"TODO: Support huge pages\", filemap_grab_folio() (order 0)",
  "virt/kvm/guest_memfd.c#kvm_gmem_bind": "read in full in a v6.11/6.12-era copy: slot->gmem.pgoff = offset >> PAGE_SHIFT, overlapping bindings refused",
  "virt/kvm/guest_memfd.c#__kvm_gmem_get_pfn": "read in full in a v6.11/6.12-era copy: -EHWPOISON when folio_test_hwpoison(folio)",
  "virt/kvm/guest_memfd.c#kvm_gmem_get_pfn": "read in full in a v6.11/6.12-era copy",
  "arch/x86/kvm/mmu/mmu.c#kvm_faultin_pfn_private": "read in a v6.8/6.9-era copy and in 2024–25 patches against later trees: kvm_mmu_prepare_memory_fault_exit() on any kvm_gmem_get_pfn() error",
  "arch/x86/kvm/mmu/mmu.c#kvm_handle_error_pfn": "read in a v6.8/6.9-era copy and in later patches: KVM_PFN_ERR_HWPOISON → kvm_send_hwpoison_signal()",
  "arch/x86/kvm/mmu/mmu.c#kvm_send_hwpoison_signal": "read in a v6.8/6.9-era copy and in later patches: send_sig_mceerr(BUS_MCEERR_AR, hva, PAGE_SHIFT, current)",
  "include/linux/kvm_host.h#kvm_prepare_memory_fault_exit": "static inline; seen in the v6.8 guest_memfd series and in later patches against kvm_host.h (gpa, size, KVM_MEMORY_EXIT_FLAG_PRIVATE)",
  "include/uapi/linux/kvm.h#KVM_EXIT_MEMORY_FAULT": "#define; seen in the uapi diff of the v6.8 guest_memfd series (memory_fault: flags, gpa, size) and in later patches",
  "include/uapi/linux/kvm.h#KVM_MEMORY_EXIT_FLAG_PRIVATE": "#define (1ULL << 3); seen in the v6.8 guest_memfd series uapi diff and in later patches",
  "mm/memory-failure.c#truncate_error_folio": "static; seen in the v6.7-era rename from truncate_error_page() and in 2025 copies: an error_remove_folio() result != 0 (MF_DELAYED is 2) is logged as \"Failed to punch page\" and gives MF_FAILED; a proposed fix returns MF_DELAYED early",
};
