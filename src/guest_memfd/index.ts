// guest_memfd and the secure world (Chapter 4): what kvm_gmem_error_folio() zaps, what the vCPU,
// the VMM and a device see afterwards, and how three policies compare across CoCo designs.
export * from "./kvm-gmem.js";
export * from "./designs.js";
export * from "./vm.js";
export * from "./outcome.js";
export * from "./series.js";
