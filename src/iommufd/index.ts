// iommufd and VFIO type1 pinning on the MFR Machine (Chapter 3): what a long-term pin does to
// memory failure recovery, and the policies proposed for it.
export { IoTlb, MAX_IOVA, checkIovaRange, type IoPte } from "./iotlb-cache.js";
export { pinUserRange, pinFileRange, unpinRuns, buildPtes, folioPoisoned, type PinnedRun, type PinResult } from "./pin.js";
export { IoDomain, PinRegistry, pinRegistry, type AccountMode, type PinHolder, type PinMetrics, type PinSample, type DmaResult, type PinListener } from "./registry.js";
export { Iommufd, Ioas, IoptArea, IoptPages, Device, ENOENT, ENOSPC, type PinPolicy, type IommufdOptions, type PagesSource, type MapResult } from "./iommufd.js";
export { VfioContainer, VfioDma } from "./vfio-type1.js";
export { heldBackOverVmLife, dmaOutcomeRows, pinVsMemfdLifetime, PIN_LIFETIME_LANES, type VmLifeOptions, type VmLifePoint, type VmLifeSeries, type DmaOutcomeRow, type LifetimeBar, type PinLifetime, type PinLifetimeOptions } from "./vm-life.js";
