// The site's palette for the src/viz chart builders (Chapters 3 and 5): every slot takes a theme
// colour, so dark mode follows (Plot writes these into fill/stroke attributes, where CSS variables
// resolve). The builders themselves load in the browser only.
export const THEME_CHART_PALETTE = {
  model: "var(--vp-c-brand-1)",
  poisoned: "var(--vp-c-danger-1)",
  published: "var(--vp-c-warning-1)",
  healthy: "var(--vp-c-green-1)",
  neutral: "var(--vp-c-text-3)",
  warning: "var(--vp-c-warning-1)",
  pageSize: { "4K": "var(--vp-c-danger-1)", "2M": "var(--vp-c-brand-1)", "1G": "var(--vp-c-green-1)" },
};

/** Chapter 3's chart builders. */
export const loadPinning = () => import("@lib/viz/pinning");
/** Chapter 5's chart builders. */
export const loadVfioCharts = () => import("@lib/viz/vfio");
