// Chapter 3's charts draw with src/viz/pinning.ts; its palette slots take the theme's colours, so
// dark mode follows (Plot writes these into fill/stroke attributes, where CSS variables resolve).
export const PIN_CHART_PALETTE = {
  model: "var(--vp-c-brand-1)",
  poisoned: "var(--vp-c-danger-1)",
  published: "var(--vp-c-warning-1)",
  healthy: "var(--vp-c-green-1)",
  neutral: "var(--vp-c-text-3)",
  warning: "var(--vp-c-warning-1)",
};

/** Loads Chapter 3's chart builders in the browser only. */
export const loadPinning = () => import("@lib/viz/pinning");
