// 1G HugeTLB vs THP on poison, and the non-uniform split (Chapter 1).
export * from "./outcome.js";
export * from "./split.js";
