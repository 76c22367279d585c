import { fileURLToPath } from "node:url";
import { defineConfigWithTheme } from "vitepress";
import type { MfrThemeConfig } from "./theme/mfr-theme.js";
import { siteMeta } from "./site-meta.js";
import { progressPlugin } from "./progress-plugin.js";
// The site renders the working-tree library: config-time values and plugins come from src/ directly,
// browser components import it through the `@lib` alias below. Pages never copy its logic.
import { readFileSync } from "node:fs";
import { CHECKED_KERNEL_REFS, exerciseContainerPlugin, glossaryLinkPlugin, kernelRefPlugin, libValuePlugin, lkmlRefPlugin, parseGlossary } from "../../src/md/index.js";
import { libValues } from "./lib-values.js";
import { CHAPTERS } from "./chapters.js";
import { loadExercises } from "./exercises.js";

const libDir = fileURLToPath(new URL("../../src", import.meta.url));
const exerciseList = loadExercises();
// Glossary terms are linked where they first appear on each page (not on the glossary itself).
const glossary = parseGlossary(readFileSync(fileURLToPath(new URL("../glossary.md", import.meta.url)), "utf8"));
const exercises = new Map(exerciseList.map((e) => [e.id, e]));
// Set MFR_LAB_BASE (e.g. "/mfr-lab/") when the site is published under a sub-path. Links written
// as raw HTML (the exercise boxes) must carry it; markdown links get it from VitePress.
const base = process.env.MFR_LAB_BASE ?? "/";

/** A `::: exercise ID` that names no exercise in the manifest fails the build. */
function exerciseHref(id: string): string {
  const e = exercises.get(id);
  if (!e) {
    throw new Error(`::: exercise ${id}: no such exercise in exercises/manifest.json (known: ${[...exercises.keys()].join(", ")})`);
  }
  return `${base}${e.page.slice(1)}.html`;
}


const meta = siteMeta();

export default defineConfigWithTheme<MfrThemeConfig>({
  title: "MFR Lab",
  description: "An open course on Linux memory-failure recovery and why a userspace MFR policy is hard to design.",
  lang: "en-GB",
  base,
  lastUpdated: false,
  head: [["link", { rel: "icon", type: "image/svg+xml", href: `${base}favicon.svg` }]],
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
        title: (id: string) => {
          const e = exercises.get(id);
          return e ? `${e.number} · ${e.title}` : undefined;
        },
        command: (id: string) => `npx mfr-lab learn ${id}`,
      });
      use(glossaryLinkPlugin, {
        entries: glossary,
        href: (id: string) => `/glossary#${id}`,
        skip: (env: unknown) => (env as { relativePath?: string }).relativePath === "glossary.md",
      });
    },
  },
  vite: {
    plugins: [progressPlugin(base)],
    resolve: { alias: { "@lib": libDir } },
    // Plot is ESM-only and only drawn in the browser; keep it out of the SSR externalisation check.
    ssr: { noExternal: ["@observablehq/plot"] },
  },
  themeConfig: {
    mfr: meta,
    socialLinks: meta.repo ? [{ icon: meta.github ? "github" : "git", link: meta.repo, ariaLabel: "The course's repository" }] : [],
    search: { provider: "local" },
    // One list of chapters for the top bar (a "Chapters" menu, so the bar fits a laptop screen) and
    // the sidebar.
    nav: [
      { text: "Home", link: "/" },
      { text: "Chapters", items: CHAPTERS.map(({ text, link }) => ({ text, link })) },
      { text: "Exercises", link: "/exercises" },
      { text: "Fidelity", link: "/fidelity" },
      { text: "Glossary", link: "/glossary" },
      { text: "References", link: "/references" },
    ],
    sidebar: [
      {
        text: "Course",
        items: [{ text: "Start here", link: "/" }, ...CHAPTERS.map(({ text, link }) => ({ text, link }))],
      },
      {
        text: "Practice",
        items: [
          { text: "All exercises", link: "/exercises" },
          // One folded group per chapter, from the exercise catalog.
          ...CHAPTERS.filter((c) => exerciseList.some((e) => e.chapter === c.number)).map((c) => ({
            text: `Chapter ${c.number}`,
            collapsed: true,
            items: exerciseList.filter((e) => e.chapter === c.number).map((e) => ({ text: `${e.number} · ${e.title}`, link: e.page })),
          })),
        ],
      },
      {
        text: "Reference",
        items: [
          { text: "Fidelity: model vs real kernels", link: "/fidelity" },
          { text: "Glossary", link: "/glossary" },
          { text: "References", link: "/references" },
        ],
      },
    ],
    outline: { level: [2, 3] },
    footer: { message: "Numbers on these pages are computed by the course library at build time." },
  },
});
