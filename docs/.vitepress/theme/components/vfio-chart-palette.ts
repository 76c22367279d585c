// Chapter 5's charts draw with src/viz/vfio.ts; its palette slots take the theme's colours, so dark
// mode follows (Plot writes these into fill/stroke attributes, where CSS variables resolve).
export const VFIO_CHART_PALETTE = {
  model: "var(--vp-c-brand-1)",
  poisoned: "var(--vp-c-danger-1)",
  published: "var(--vp-c-warning-1)",
  healthy: "var(--vp-c-green-1)",
  neutral: "var(--vp-c-text-3)",
  warning: "var(--vp-c-warning-1)",
  pageSize: { "4K": "var(--vp-c-danger-1)", "2M": "var(--vp-c-brand-1)", "1G": "var(--vp-c-green-1)" },
};

/** Loads Chapter 5's chart builders in the browser only. */
export const loadVfioCharts = () => import("@lib/viz/vfio");
