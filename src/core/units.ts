import { ParameterError } from "./errors.js";

/** Base page size (x86-64 PAGE_SHIFT = 12). */
export const PAGE_SHIFT = 12;
/** PMD-level huge page: 2M (PMD_SHIFT = 21). */
export const PMD_SHIFT = 21;
/** PUD-level huge page: 1G (PUD_SHIFT = 30). */
export const PUD_SHIFT = 30;

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** The three x86-64 translation sizes the course models. */
export type PageSize = "4K" | "2M" | "1G";
export const PAGE_SIZES: readonly PageSize[] = ["4K", "2M", "1G"];

/** log2 of each page size: what `si_addr_lsb` reports for a mapping of that size. */
export const PAGE_SIZE_SHIFT: Readonly<Record<PageSize, number>> = { "4K": PAGE_SHIFT, "2M": PMD_SHIFT, "1G": PUD_SHIFT };

/** Compact code per page size, used in typed arrays (0 = 4K, 1 = 2M, 2 = 1G). */
export const PAGE_SIZE_CODE: Readonly<Record<PageSize, number>> = { "4K": 0, "2M": 1, "1G": 2 };

export function pageSizeBytes(size: PageSize): number {
  return 2 ** PAGE_SIZE_SHIFT[size];
}

/** Number of 4K base pages in one page of `size` (1, 512 or 262,144). */
export function basePagesPer(size: PageSize): number {
  return 2 ** (PAGE_SIZE_SHIFT[size] - PAGE_SHIFT);
}

export function parsePageSize(text: string, parameter = "page size"): PageSize {
  const t = String(text).trim().toUpperCase();
  if (t === "4K" || t === "2M" || t === "1G") return t;
  throw new ParameterError(parameter, `"${text}" is not a page size`, "use 4K, 2M or 1G");
}

const SUFFIX: Readonly<Record<string, number>> = { "": 1, B: 1, K: KiB, M: MiB, G: GiB, T: TiB };

/**
 * Parses a size such as "4K", "2M", "1G", "640G", "1.5T" or "4096" (bytes).
 * Suffixes are binary (K = 1024), as in the kernel's memparse().
 */
export function parseSize(text: string | number, parameter = "size"): number {
  if (typeof text === "number") {
    if (Number.isFinite(text) && text >= 0) return text;
    throw new ParameterError(parameter, `${text} is not a size`, 'use bytes or a suffix, e.g. "4K", "2M", "640G"');
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$/i.exec(String(text));
  if (!m) {
    throw new ParameterError(parameter, `"${text}" is not a size`, 'use a number with K, M, G or T, e.g. "4K", "2M", "640G"');
  }
  const bytes = Number(m[1]) * SUFFIX[m[2].toUpperCase()];
  if (!Number.isSafeInteger(Math.round(bytes))) {
    throw new ParameterError(parameter, `"${text}" is too large`);
  }
  return Math.round(bytes);
}

/** Formats bytes with the largest binary suffix that divides evenly, else with 2 decimals. */
export function formatSize(bytes: number): string {
  for (const [s, v] of [["T", TiB], ["G", GiB], ["M", MiB], ["K", KiB]] as const) {
    if (bytes >= v) {
      const x = bytes / v;
      return Number.isInteger(x) ? `${x}${s}` : `${x.toFixed(2)}${s}`;
    }
  }
  return `${bytes}B`;
}
