// The MFR core: memory_failure() and the memfd userspace MFR policy, modelled.
export * from "./constants.js";
export * from "./events.js";
export * from "./mm/buddy.js";
export * from "./mm/folio.js";
export * from "./mm/hugetlb.js";
export * from "./mm/mapping.js";
export * from "./mm/process.js";
export * from "./mm/pagetable.js";
export * from "./mm/physmem.js";
export { Machine, folioPageSize, vmaAddress, type MachineOptions, type MachineNotifier, type PolicyVariant, type SignalInfo, type AccessResult, type MemoryFailureResult, type MfStats } from "./machine.js";
export { memoryFailure, actionResult, pageHandlePoison } from "./memory-failure.js";
export { collectProcs, killProc, killProcs, killProcsNow, killAccessingProcess, type ToKill } from "./kill.js";
export { splitFolio } from "./split.js";
export { unpoisonMemory } from "./unpoison.js";
export { softOfflinePage } from "./soft-offline.js";
export { removeMappingRange, filemapOfflineHwpoisonFolio } from "./policy/memfd-offline.js";
export { checkInvariants, summarize, type MachineSummary } from "./invariants.js";
export { memoryLostByPolicy, memoryLostSeries, errorPattern, bootGuestVm, runPolicyLoss, MEMFD_MF_POLICIES, type MemfdMfPolicy, type MemoryLostOptions, type MemoryLostResult, type PolicyLoss, type GuestVm } from "./policy/memory-lost.js";
