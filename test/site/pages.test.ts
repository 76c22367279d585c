// Fast check without a site build: every page's [[lib:…]], [[kernel:…]], [[lkml:…]] and
// ::: exercise references resolve, using the same plugins and values the site build uses.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import MarkdownIt from "markdown-it";
import { describe, expect, it } from "vitest";
import { CHAPTERS } from "../../docs/.vitepress/chapters.js";
import { chapterPages, loadExercises } from "../../docs/.vitepress/exercises.js";
import { libValues } from "../../docs/.vitepress/lib-values.js";
import { CHECKED_KERNEL_REFS, exerciseContainerPlugin, glossaryLinkPlugin, kernelRefPlugin, libValuePlugin, lkmlRefPlugin, parseGlossary } from "../../src/md/index.js";

const DOCS = fileURLToPath(new URL("../../docs", import.meta.url));

function pages(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name.startsWith(".") || e.name === "public") return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? pages(p) : e.name.endsWith(".md") ? [p] : [];
  });
}

describe("course pages: references resolve", () => {
  const values = libValues();
  const ids = new Set(loadExercises().map((e) => e.id));
  const md = new MarkdownIt({ html: true })
    .use(kernelRefPlugin, { checked: CHECKED_KERNEL_REFS })
    .use(lkmlRefPlugin)
    .use(libValuePlugin, { values })
    .use(exerciseContainerPlugin, {
      href: (id: string) => {
        if (!ids.has(id)) throw new Error(`::: exercise ${id} is not in exercises/manifest.json`);
        return `/exercises/${id}.html`;
      },
    });

  it.each(pages(DOCS).map((p) => [relative(DOCS, p), p]))("%s renders with every library value, kernel link and exercise defined", (_name, file) => {
    const src = readFileSync(file, "utf8");
    const html = md.render(src);
    expect(html, "no [[…]] reference left unrendered").not.toMatch(/\[\[(?:lib|kernel|lkml):/);
  });

  it("every chapter links glossary terms where they first appear, each entry at most once, to entries that exist", () => {
    const glossary = parseGlossary(readFileSync(join(DOCS, "glossary.md"), "utf8"));
    const ids = new Set(glossary.map((e) => e.id));
    const withGlossary = new MarkdownIt({ html: true }).use(lkmlRefPlugin).use(libValuePlugin, { values }).use(kernelRefPlugin, { checked: CHECKED_KERNEL_REFS })
      .use(glossaryLinkPlugin, { entries: glossary, href: (id: string) => `/glossary#${id}` });
    for (const c of CHAPTERS) {
      const html = withGlossary.render(readFileSync(join(DOCS, `${c.link}.md`), "utf8"));
      const linked = [...html.matchAll(/href="\/glossary#([^"]+)" class="glossary-term"/g)].map((m) => m[1]);
      expect(linked.length, `${c.link}: glossary terms linked`).toBeGreaterThanOrEqual(5);
      expect(new Set(linked).size, `${c.link}: each entry linked once`).toBe(linked.length);
      for (const id of linked) expect(ids.has(id), `${c.link}: #${id} is a glossary entry`).toBe(true);
    }
  });

  it("every checked kernel reference is still linked from a page (the list is what the site cites)", () => {
    const used = new Set(pages(DOCS).flatMap((p) => [...readFileSync(p, "utf8").matchAll(/\[\[kernel:([^\]|\\]+)/g)].map((m) => m[1].trim())));
    const unused = Object.keys(CHECKED_KERNEL_REFS).filter((k) => !used.has(k));
    expect(unused, "listed in src/md/kernel-refs-checked.ts but linked nowhere: remove them").toEqual([]);
  });

  it("the menu and sidebar list every chapter page, in order, titled by the page's numbered heading", () => {
    const onDisk = readdirSync(join(DOCS, "chapters")).filter((f) => /^\d+-.+\.md$/.test(f)).sort().map((f) => `/chapters/${f.slice(0, -3)}`);
    expect(CHAPTERS.map((c) => c.link), "docs/.vitepress/chapters.ts finds every docs/chapters/*.md").toEqual(onDisk);
    for (const c of CHAPTERS) expect(c.text.startsWith(`${c.number}. `), `"# ${c.text}" in ${c.link}.md is numbered as its file`).toBe(true);
    expect(chapterPages().size).toBe(CHAPTERS.length);
  });

  it("every chapter with exercises has a page the exercise list links to", () => {
    const missing = [...new Set(loadExercises().filter((e) => !e.chapterPage).map((e) => e.chapter))];
    expect(missing, "chapters in exercises/manifest.json without a docs/chapters/NN-*.md page").toEqual([]);
  });

  it("the chapter cites the numbers it is about, computed by the library", () => {
    const chapter = readFileSync(join(DOCS, "chapters/01-thp-splitting-cost.md"), "utf8");
    for (const name of ["memcycle.fitted.value", "memcycle.residual.25", "memcycle.residual.5", "walk.2d.4x4", "poison.hugetlb1G.lsb", "iotlb.4K.example.throughput"]) {
      expect(chapter, `chapter should show ${name}`).toContain(`[[lib:${name}]]`);
    }
    expect(values["walk.2d.4x4"], "(4+1)(4+1) − 1").toBe(24);
    expect(values["poison.hugetlb1G.lsb"], "si_addr_lsb of a poisoned 1G HugeTLB page").toBe(30);
  });
});
