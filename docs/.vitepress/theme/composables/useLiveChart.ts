// The lifecycle every live chart on the site shares: load the drawing module in the browser only,
// re-run the library when an input changes, redraw into a host element, and record how long the
// library and library + drawing took (data-compute-ms / data-render-ms, read by test/site).
// Charts supply two callbacks: compute (calls the library) and render (draws its result).
import { computed, onMounted, onServerPrefetch, ref, shallowRef, watch, type ComputedRef, type ObjectDirective, type Ref, type ShallowRef, type WatchSource } from "vue";
import type { ChartElement } from "@lib/viz/charts";

export interface LiveChartOptions<L, D> {
  /** Lazy import of the drawing module (Plot, or a src/viz builder); runs once, after mount. */
  load: () => Promise<L>;
  /** Runs the library for the current inputs; timed as data-compute-ms. */
  compute: () => D;
  /** Draws the computed data at the given width. */
  render: (lib: L, data: D, width: number) => Node | ChartElement;
  /** Chart width: the host's width clamped to [min, max]; fallback while the host has no width. */
  width: { min: number; max: number; fallback: number };
  /** Inputs whose change re-runs compute and redraws. */
  sources: WatchSource[];
  /** Inputs whose change only redraws the last data (e.g. a "show" toggle). */
  redrawOn?: WatchSource[];
  /**
   * Compute once during setup, in the build and in the browser alike (default true), so readouts
   * built on `data` are in the page without scripts, the built figure has data to draw, and the
   * browser starts from the same state the build rendered (no hydration mismatch); the first draw
   * then reuses that result. false: compute only when the chart first draws.
   */
  computeAtSetup?: boolean;
}

export interface LiveChart<D> {
  /** The element the chart is drawn into (bind with ref="host"). */
  host: Ref<HTMLElement | null>;
  /** The last computed data; undefined until the first compute. */
  data: ShallowRef<D | undefined>;
  computeMs: Ref<number | null>;
  renderMs: Ref<number | null>;
  renders: Ref<number>;
  /** The last error's message; "" after a successful draw. */
  error: Ref<string>;
  /** data-renders / data-compute-ms / data-render-ms, for v-bind on the chart's role="img" box. */
  timing: ComputedRef<Record<string, string | number>>;
  /**
   * For v-static-html on the host: during the build, the chart's default state drawn in Node (Plot
   * with linkedom, as for the notebooks), so the page has the figure without scripts and in print;
   * in the browser "", and hydration keeps that figure until the live chart replaces it.
   */
  staticHtml: Ref<string>;
}

/**
 * `v-static-html`: puts HTML into an element during server rendering only. (A v-bind or v-html
 * would be patched during hydration and wipe the built figure; a directive without client hooks
 * leaves the element's children alone.) Registered globally in theme/index.ts.
 */
export const vStaticHtml: ObjectDirective<HTMLElement, string> = {
  getSSRProps: (binding) => (binding.value ? { innerHTML: binding.value, "data-static": "build" } : {}),
};

export function useLiveChart<L, D>(o: LiveChartOptions<L, D>): LiveChart<D> {
  const host = ref<HTMLElement | null>(null);
  const data = shallowRef<D | undefined>(undefined);
  const computeMs = ref<number | null>(null);
  const renderMs = ref<number | null>(null);
  const renders = ref(0);
  const error = ref("");
  let lib: L | null = null;
  let computed_ = false;

  const fail = (e: unknown) => {
    error.value = e instanceof Error ? e.message : String(e);
  };

  if (o.computeAtSetup !== false) {
    try {
      data.value = o.compute();
      computed_ = true;
    } catch (e) {
      fail(e);
    }
  }

  function draw(recompute: boolean): void {
    try {
      const t0 = performance.now();
      // Compute even before the module has loaded, so readouts follow the inputs from the start.
      if (recompute || !computed_) {
        data.value = o.compute();
        computed_ = true;
      }
      const t1 = performance.now();
      const el = host.value;
      if (lib === null || !el) return;
      const { min, max, fallback } = o.width;
      const width = Math.max(min, Math.min(max, el.clientWidth || fallback));
      el.replaceChildren(o.render(lib, data.value as D, width) as unknown as Node);
      el.removeAttribute("data-static");
      const t2 = performance.now();
      computeMs.value = t1 - t0;
      renderMs.value = t2 - t0;
      renders.value++;
      error.value = "";
    } catch (e) {
      fail(e);
    }
  }

  const staticHtml = ref("");
  if (import.meta.env.SSR) {
    onServerPrefetch(async () => {
      try {
        if (!computed_) {
          data.value = o.compute();
          computed_ = true;
        }
        const drawing = await o.load();
        const { nodeDocument } = await import("@lib/viz/node");
        // Plot and the src/viz builders draw into globalThis.document when given none; lend them
        // linkedom's for this one synchronous call (nothing else runs in between).
        const g = globalThis as { document?: unknown };
        const had = "document" in g;
        const prev = g.document;
        g.document = nodeDocument();
        try {
          staticHtml.value = (o.render(drawing, data.value as D, o.width.fallback) as unknown as { outerHTML: string }).outerHTML;
        } finally {
          if (had) g.document = prev;
          else delete g.document;
        }
      } catch (e) {
        fail(e);
      }
    });
  }

  onMounted(async () => {
    lib = await o.load();
    draw(false);
  });
  watch(o.sources, () => draw(true));
  if (o.redrawOn) watch(o.redrawOn, () => draw(false));

  const timing = computed(() => ({
    "data-renders": renders.value,
    "data-compute-ms": computeMs.value === null ? "" : computeMs.value.toFixed(3),
    "data-render-ms": renderMs.value === null ? "" : renderMs.value.toFixed(3),
  }));

  return { host, data, computeMs, renderMs, renders, error, timing, staticHtml };
}
