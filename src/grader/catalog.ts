// What the course says about each exercise, from one place: its number (chapter.position, from the
// manifest's order), its README (task) and hints, its recap (.meta/recap.md: what a pass shows and
// the chapter section that explains it), and where that section is. The CLI, the site's exercise
// pages and the tests all read it here, so a number or a title cannot differ between them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MfrLabError } from "../core/errors.js";
import { loadHints, projectRoot, type ExerciseInfo } from "./manifest.js";

/** "1.3": the chapter, then the exercise's position among that chapter's exercises in the manifest. */
export function exerciseNumber(list: readonly ExerciseInfo[], id: string): string {
  const e = list.find((x) => x.id === id);
  if (!e) throw new MfrLabError(`no exercise "${id}" in exercises/manifest.json`);
  const pos = list.filter((x) => x.chapter === e.chapter).findIndex((x) => x.id === id) + 1;
  return `${e.chapter}.${pos}`;
}

/** The first line every exercise README must start with: "# 1.3 · One set of an LRU TLB". */
export function readmeHeading(list: readonly ExerciseInfo[], e: ExerciseInfo): string {
  return `# ${exerciseNumber(list, e.id)} · ${e.title}`;
}

export interface Readme {
  /** The README's first line, e.g. "# 1.3 · One set of an LRU TLB". */
  heading: string;
  /** Everything after the first line. */
  body: string;
}

export function loadReadme(exercisesDir: string, id: string): Readme {
  const path = join(exercisesDir, id, "README.md");
  if (!existsSync(path)) throw new MfrLabError(`exercises/${id}/README.md is missing`);
  const text = readFileSync(path, "utf8");
  const nl = text.indexOf("\n");
  return { heading: (nl < 0 ? text : text.slice(0, nl)).trim(), body: nl < 0 ? "" : text.slice(nl + 1).trim() };
}

export interface Recap {
  /** The id of the chapter section (`## Title {#id}`) that explains what the exercise practises. */
  section: string;
  /** A few sentences: what passing this exercise shows. */
  text: string;
}

/**
 * exercises/<id>/.meta/recap.md: a front-matter line `section: <anchor>` between `---` lines, then
 * the recap text. Kept next to the reference solution, since it gives the answer away.
 */
export function loadRecap(exercisesDir: string, id: string): Recap | null {
  const path = join(exercisesDir, id, ".meta", "recap.md");
  if (!existsSync(path)) return null;
  const m = /^---\s*\n([\s\S]*?)\n---\s*\n([\s\S]*)$/.exec(readFileSync(path, "utf8"));
  const section = m ? /^section:\s*([A-Za-z0-9_-]+)\s*$/m.exec(m[1])?.[1] : undefined;
  if (!m || !section) throw new MfrLabError(`exercises/${id}/.meta/recap.md must start with a front-matter block holding "section: <anchor of the chapter section>"`);
  return { section, text: m[2].trim() };
}

export interface ChapterSection {
  /** The chapter page's markdown, relative to the project: docs/chapters/01-thp-splitting-cost.md. */
  file: string;
  /** Site path of the page without extension: /chapters/01-thp-splitting-cost. */
  page: string;
  /** The section's anchor and heading text (null when the page has no such section). */
  anchor: string;
  title: string | null;
}

/** Where chapter `chapter`'s page is, and the title of its section `anchor`. */
export function chapterSection(chapter: number, anchor: string, root: string = projectRoot()): ChapterSection | null {
  const dir = join(root, "docs", "chapters");
  if (!existsSync(dir)) return null;
  const name = readdirSync(dir).find((f) => new RegExp(`^0*${chapter}-.+\\.md$`).test(f));
  if (!name) return null;
  const md = readFileSync(join(dir, name), "utf8");
  const h = new RegExp(`^#{2,4}\\s+(.+?)\\s*\\{#${anchor.replace(/[-]/g, "\\-")}\\}\\s*$`, "m").exec(md);
  return { file: `docs/chapters/${name}`, page: `/chapters/${name.slice(0, -3)}`, anchor, title: h ? h[1].replace(/`/g, "") : null };
}

/**
 * Where to read about an exercise's topic, for a terminal: the chapter file and section, and the
 * published page when MFR_LAB_SITE_URL (or package.json's "homepage") says where the site lives.
 */
export function sectionPointer(e: ExerciseInfo, exercisesDir: string, root: string = projectRoot()): string | null {
  const recap = loadRecap(exercisesDir, e.id);
  if (!recap) return null;
  const s = chapterSection(e.chapter, recap.section, root);
  if (!s) return null;
  const site = siteUrl(root);
  const where = `${s.file}#${s.anchor}${s.title ? ` ("${s.title}")` : ""}`;
  return site ? `${where}, on the site ${site}${s.page.slice(1)}.html#${s.anchor}` : where;
}

/** The published site's URL with a trailing slash, if configured; null otherwise. */
export function siteUrl(root: string = projectRoot()): string | null {
  let url = process.env.MFR_LAB_SITE_URL;
  if (!url) {
    try {
      url = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { homepage?: string }).homepage;
    } catch {
      url = undefined;
    }
  }
  if (!url || !/^https?:\/\//.test(url)) return null;
  return url.endsWith("/") ? url : url + "/";
}

export interface ExerciseCard {
  id: string;
  number: string;
  chapter: number;
  title: string;
  kind: string;
  file: string;
  readme: Readme;
  hints: string[];
  recap: Recap | null;
}

/** Everything the site shows for one exercise. */
export function exerciseCard(list: readonly ExerciseInfo[], exercisesDir: string, e: ExerciseInfo): ExerciseCard {
  return {
    id: e.id, number: exerciseNumber(list, e.id), chapter: e.chapter, title: e.title, kind: e.kind, file: e.file,
    readme: loadReadme(exercisesDir, e.id), hints: loadHints(exercisesDir, e.id), recap: loadRecap(exercisesDir, e.id),
  };
}
