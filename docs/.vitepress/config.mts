import { fileURLToPath } from "node:url";
import { defineConfig } from "vitepress";
// The site renders the working-tree library: config-time values and plugins come from src/ directly,
// browser components import it through the `@lib` alias below. Pages never copy its logic.
import { CHECKED_KERNEL_REFS, exerciseContainerPlugin, kernelRefPlugin, libValuePlugin, lkmlRefPlugin } from "../../src/md/index.js";
import { libValues } from "./lib-values.js";
import { loadExercises } from "./exercises.js";

const libDir = fileURLToPath(new URL("../../src", import.meta.url));
const exercises = new Map(loadExercises().map((e) => [e.id, e]));

/** A `::: exercise ID` that names no exercise in the manifest fails the build. */
function exerciseHref(id: string): string {
  if (!exercises.has(id)) {
    throw new Error(`::: exercise ${id}: no such exercise in exercises/manifest.json (known: ${[...exercises.keys()].join(", ")})`);
  }
  return `/exercises#${id}`;
}

export default defineConfig({
  title: "MFR Lab",
  description: "An open course on Linux memory-failure recovery and why a userspace MFR policy is hard to design.",
  lang: "en-GB",
  // Set MFR_LAB_BASE (e.g. "/mfr-lab/") when the site is published under a sub-path.
  base: process.env.MFR_LAB_BASE ?? "/",
  lastUpdated: false,
  head: [["link", { rel: "icon", type: "image/svg+xml", href: `${process.env.MFR_LAB_BASE ?? "/"}favicon.svg` }]],
  cleanUrls: false,
  markdown: {
    config(md) {
      // src/md is typed against markdown-it's CommonJS typings (tslab's setting), VitePress against
      // the ESM ones; the objects are the same at run time.
      const use = (plugin: unknown, options?: unknown) => md.use(plugin as never, options);
      use(kernelRefPlugin, { checked: CHECKED_KERNEL_REFS });
      use(lkmlRefPlugin);
      use(libValuePlugin, { values: libValues() });
      use(exerciseContainerPlugin, {
        href: exerciseHref,
        title: (id: string) => exercises.get(id)?.title,
        command: () => "npm run learn",
      });
    },
  },
  vite: {
    resolve: { alias: { "@lib": libDir } },
    // Plot is ESM-only and only drawn in the browser; keep it out of the SSR externalisation check.
    ssr: { noExternal: ["@observablehq/plot"] },
  },
  themeConfig: {
    search: { provider: "local" },
    nav: [
      { text: "Home", link: "/" },
      { text: "Chapter 0", link: "/chapters/00-what-mfr-does" },
      { text: "Chapter 1", link: "/chapters/01-thp-splitting-cost" },
      { text: "Chapter 2", link: "/chapters/02-memfd-policy-lifetimes" },
      { text: "Chapter 3", link: "/chapters/03-iommufd-pinning" },
      { text: "Chapter 4", link: "/chapters/04-guest-memfd-secure-world" },
      { text: "Chapter 5", link: "/chapters/05-vfio-mmio-poison" },
      { text: "Exercises", link: "/exercises" },
      { text: "Glossary", link: "/glossary" },
      { text: "References", link: "/references" },
    ],
    sidebar: [
      {
        text: "Course",
        items: [
          { text: "Start here", link: "/" },
          { text: "0. What MFR does", link: "/chapters/00-what-mfr-does" },
          { text: "1. The cost of splitting THP", link: "/chapters/01-thp-splitting-cost" },
          { text: "2. memfd policy lifetimes", link: "/chapters/02-memfd-policy-lifetimes" },
          { text: "3. iommufd pinning", link: "/chapters/03-iommufd-pinning" },
          { text: "4. guest_memfd and the secure world", link: "/chapters/04-guest-memfd-secure-world" },
          { text: "5. VFIO MMIO poison dispatch", link: "/chapters/05-vfio-mmio-poison" },
        ],
      },
      {
        text: "Practice",
        items: [{ text: "Exercises", link: "/exercises" }],
      },
      {
        text: "Reference",
        items: [
          { text: "Glossary", link: "/glossary" },
          { text: "References", link: "/references" },
        ],
      },
    ],
    outline: { level: [2, 3] },
    footer: { message: "Numbers on these pages are computed by the course library at build time." },
  },
});
