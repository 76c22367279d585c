// The kernel lines the lab compares the model with. The model takes the same names
// (machine.kernel in a scenario); a kernel of another release is compared with the newest of
// these that is not newer than it.
export type KernelVersionName = "6.12" | "7.3";
export const KERNEL_VERSIONS: readonly KernelVersionName[] = ["6.12", "7.3"];
