// How scenario reports name things: errno values, memory_failure() flags, offsets. Browser-safe.
import {
  EBUSY, EHWPOISON, EINVAL, ENOMEM, ENXIO, EOPNOTSUPP, EFAULT, EIO,
  MF_ACTION_REQUIRED, MF_COUNT_INCREASED, MF_MUST_KILL, MF_NO_RETRY, MF_SOFT_OFFLINE, MF_SW_SIMULATED, MF_UNPOISON,
} from "../mfr/constants.js";

const ERRNO: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", [EIO]: "EIO", [ENXIO]: "ENXIO", 9: "EBADF", [ENOMEM]: "ENOMEM", [EFAULT]: "EFAULT", [EBUSY]: "EBUSY",
  17: "EEXIST", [EINVAL]: "EINVAL", 25: "ENOTTY", 28: "ENOSPC", [EOPNOTSUPP]: "EOPNOTSUPP", 131: "ENOTRECOVERABLE", [EHWPOISON]: "EHWPOISON",
};

/** 0, or "-EBUSY" for a negative errno. */
export function errnoName(ret: number): string {
  return ret >= 0 ? String(ret) : `-${ERRNO[-ret] ?? `E${-ret}`}`;
}

const FLAG_NAMES: [number, string][] = [
  [MF_ACTION_REQUIRED, "MF_ACTION_REQUIRED"], [MF_COUNT_INCREASED, "MF_COUNT_INCREASED"], [MF_MUST_KILL, "MF_MUST_KILL"],
  [MF_SOFT_OFFLINE, "MF_SOFT_OFFLINE"], [MF_UNPOISON, "MF_UNPOISON"], [MF_SW_SIMULATED, "MF_SW_SIMULATED"], [MF_NO_RETRY, "MF_NO_RETRY"],
];

/** memory_failure() flags as "MF_ACTION_REQUIRED|MF_SW_SIMULATED" ("0" for none). */
export function mfFlagsText(flags: number): string {
  const names = FLAG_NAMES.filter(([b]) => flags & b).map(([, n]) => n);
  return names.length ? names.join("|") : "0";
}

/** An offset in the largest unit that divides it: "0", "28K", "2M", "1G", else hex bytes. */
export function formatOffset(bytes: number): string {
  if (bytes === 0) return "0";
  for (const [s, v] of [["G", 2 ** 30], ["M", 2 ** 20], ["K", 2 ** 10]] as const) if (bytes % v === 0) return `${bytes / v}${s}`;
  return `0x${bytes.toString(16)}`;
}

export const hex = (n: number): string => `0x${n.toString(16)}`;
