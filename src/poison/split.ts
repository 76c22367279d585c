import { checkInt, ParameterError } from "../core/errors.js";

/** Order of a 2M folio (512 × 4K) and of a 1G folio (262,144 × 4K). */
export const PMD_ORDER = 9;
export const PUD_ORDER = 18;

export interface SplitPiece {
  /** Folio order: 2^order 4K pages. */
  order: number;
  /** First 4K page index inside the original folio. */
  start: number;
  pages: number;
  bytes: number;
  poisoned: boolean;
  /** Translations to map this piece (0 for the poisoned piece: it is unmapped). */
  tlbEntries: number;
}

export interface SplitResult {
  folioOrder: number;
  poisonedIndex: number;
  minOrder: number;
  /** Resulting folios sorted by start index. */
  pieces: SplitPiece[];
  healthyBytes: number;
  /** Bytes in the poisoned piece (4K when minOrder is 0). */
  poisonedBytes: number;
  /** Translations for the healthy part of the range. */
  tlbEntries: { unsplit: number; uniform: number; nonUniform: number };
  /** Number of resulting folios with today's uniform split and with the non-uniform one. */
  folioCount: { uniform: number; nonUniform: number };
  assumptions: string[];
}

export const SPLIT_ASSUMPTIONS: readonly string[] = [
  "x86-64 caches translations at 4K, 2M and 1G only: a piece of order ≥ 9 is mapped by 2M (PMD) entries, a smaller mTHP piece by one 4K PTE per page",
  "no contiguous-PTE coalescing: hardware that caches an aligned run of PTEs as one entry would need fewer entries for mTHP pieces (an assumption, not modelled)",
  "pieces are naturally aligned (buddy-style), so every piece of order ≥ 9 is PMD-mappable",
  "the poisoned piece is unmapped and needs no translation",
];

/** Translations to map an aligned block of 2^order 4K pages under SPLIT_ASSUMPTIONS. */
export function entriesForOrder(order: number): number {
  return order >= PMD_ORDER ? 2 ** (order - PMD_ORDER) : 2 ** order;
}

function checkSplitArgs(folioOrder: number, poisonedIndex: number, minOrder: number): void {
  checkInt("folioOrder", folioOrder, 1, PUD_ORDER);
  checkInt("minOrder", minOrder, 0, PUD_ORDER);
  if (minOrder > folioOrder) {
    throw new ParameterError("minOrder", `${minOrder} is larger than the folio order ${folioOrder}`, "a split cannot produce pieces bigger than the folio");
  }
  if (typeof poisonedIndex !== "number" || !Number.isInteger(poisonedIndex) || poisonedIndex < 0 || poisonedIndex >= 2 ** folioOrder) {
    throw new ParameterError("poisonedIndex", `${String(poisonedIndex)} is not a 4K page of an order-${folioOrder} folio`, `use a whole number from 0 to ${2 ** folioOrder - 1}`);
  }
}

/**
 * Buddy-allocator-like non-uniform split, as Zi Yan suggested in reply to the RFC (22 Jan 2025):
 * halve the block that holds the poisoned page again and again; every half without it stays a
 * folio of its size. A 2M folio becomes 1M, 512K, …, 8K, 4K healthy pieces and one 4K poisoned
 * piece. `minOrder` > 0 models folios that cannot go below an order (large block size files,
 * min_order_for_split()): the poisoned piece is then of order minOrder.
 */
export function nonUniformSplit(folioOrder: number, poisonedIndex: number, minOrder = 0): SplitResult {
  checkSplitArgs(folioOrder, poisonedIndex, minOrder);
  const pieces: SplitPiece[] = [];
  const piece = (order: number, start: number, poisoned: boolean): SplitPiece => ({
    order, start, pages: 2 ** order, bytes: 4096 * 2 ** order, poisoned, tlbEntries: poisoned ? 0 : entriesForOrder(order),
  });
  let start = 0;
  for (let order = folioOrder; order > minOrder; order--) {
    const half = 2 ** (order - 1);
    if (poisonedIndex < start + half) {
      pieces.push(piece(order - 1, start + half, false)); // upper half is healthy
    } else {
      pieces.push(piece(order - 1, start, false)); // lower half is healthy
      start += half;
    }
  }
  pieces.push(piece(minOrder, start, true));
  pieces.sort((a, b) => a.start - b.start);

  const poisonedBytes = 4096 * 2 ** minOrder;
  const totalBytes = 4096 * 2 ** folioOrder;
  const uniformCount = 2 ** (folioOrder - minOrder);
  return {
    folioOrder,
    poisonedIndex,
    minOrder,
    pieces,
    healthyBytes: totalBytes - poisonedBytes,
    poisonedBytes,
    tlbEntries: {
      unsplit: 1,
      uniform: (uniformCount - 1) * entriesForOrder(minOrder),
      nonUniform: pieces.reduce((s, p) => s + p.tlbEntries, 0),
    },
    folioCount: { uniform: uniformCount, nonUniform: pieces.length },
    assumptions: SPLIT_ASSUMPTIONS.slice(),
  };
}
