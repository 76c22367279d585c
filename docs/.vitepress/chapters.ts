// The course's chapters in reading order, found in docs/chapters/NN-slug.md: the top bar's
// "Chapters" menu, the sidebar, the exercise list and the notebook links are built from this list,
// so a new chapter page is picked up by itself. The menu text is the page's `# N. Title` heading.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CHAPTERS_DIR = fileURLToPath(new URL("../chapters/", import.meta.url));

export interface Chapter {
  /** Chapter number (the NN of NN-slug.md). */
  number: number;
  /** "1. The cost of splitting THP": the page's first-level heading. */
  text: string;
  /** Site path without extension: "/chapters/01-thp-splitting-cost". */
  link: string;
  /** File name without extension: "01-thp-splitting-cost" (also the notebook's name). */
  slug: string;
}

export function loadChapters(dir: string = CHAPTERS_DIR): Chapter[] {
  return readdirSync(dir)
    .map((f) => /^(\d+)-.+\.md$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const slug = m[0].slice(0, -3);
      const h1 = /^#\s+(.+?)\s*(?:\{#[^}]*\})?\s*$/m.exec(readFileSync(join(dir, m[0]), "utf8"));
      if (!h1) throw new Error(`docs/chapters/${m[0]} has no "# N. Title" heading`);
      return { number: Number(m[1]), text: h1[1], link: `/chapters/${slug}`, slug };
    })
    .sort((a, b) => a.number - b.number);
}

export const CHAPTERS: readonly Chapter[] = loadChapters();
