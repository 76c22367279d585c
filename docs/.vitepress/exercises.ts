// Reads the exercise manifest (owned by the exercises; the site only displays it) and finds each
// chapter's page, so the exercise list links to the chapter to read first.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface ExerciseEntry {
  id: string;
  chapter: number;
  title: string;
  kind: string;
  file: string;
  hints?: number;
  /** Site path of the chapter's page (e.g. "/chapters/04-guest-memfd-secure-world"), if one exists. */
  chapterPage?: string;
}

export const MANIFEST_PATH = fileURLToPath(new URL("../../exercises/manifest.json", import.meta.url));
export const CHAPTERS_DIR = fileURLToPath(new URL("../chapters/", import.meta.url));

/** Chapter number → site path, from docs/chapters/NN-slug.md. */
export function chapterPages(dir: string = CHAPTERS_DIR): Map<number, string> {
  const pages = new Map<number, string>();
  for (const f of readdirSync(dir)) {
    const m = /^(\d+)-.+\.md$/.exec(f);
    if (m) pages.set(Number(m[1]), `/chapters/${f.slice(0, -3)}`);
  }
  return pages;
}

export function loadExercises(path: string = MANIFEST_PATH, chaptersDir: string = CHAPTERS_DIR): ExerciseEntry[] {
  const raw = JSON.parse(readFileSync(path, "utf8")) as { exercises?: ExerciseEntry[] };
  if (!Array.isArray(raw.exercises)) throw new Error(`exercise manifest ${path}: no "exercises" array`);
  const pages = chapterPages(chaptersDir);
  return raw.exercises.map((e) => ({ ...e, chapterPage: pages.get(e.chapter) }));
}
