// The op table: each scenario op's meaning on the model and on a real kernel, in one place.
import { check } from "./check.js";
import { attach, dma, iommufd, iommufdClose, ioas, ioasCopy, ioasUnmap, map, mapFile, vfio, vfioClose, vfioMap, vfioUnmap } from "./iommufd.js";
import { file, fsync, pread, pwrite } from "./file.js";
import { close, memfd, punchHole, share, truncate } from "./memfd.js";
import { mmap, munmap, pin, populate, read, touch, unpin, write } from "./memory.js";
import { madvise, poison, softOffline, unpoison } from "./poison.js";
import { exit, memlock, prctl, spawn } from "./process.js";
import type { OpTable } from "./types.js";

export const OPS: OpTable = {
  spawn, prctl, memfd, share, file, pread, pwrite, fsync, mmap, munmap, touch, write, read, populate, poison, madvise, pin, unpin, truncate,
  "punch-hole": punchHole, close, exit, unpoison, "soft-offline": softOffline,
  iommufd, ioas, attach, map, "map-file": mapFile, "ioas-unmap": ioasUnmap, "ioas-copy": ioasCopy, dma,
  "iommufd-close": iommufdClose, vfio, "vfio-map": vfioMap, "vfio-unmap": vfioUnmap, "vfio-close": vfioClose, memlock, check,
};

/** Why a mainline kernel cannot run an op at all, or undefined when it has a kernel side. */
export function modelOnlyOp(op: keyof OpTable): string | undefined {
  const k = OPS[op].kernel;
  return typeof k === "function" ? undefined : k.modelOnly;
}

export type { KernelEmitter, OpDef, ResolvedTarget, ResultKind, StepExec } from "./types.js";
