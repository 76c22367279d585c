// Reads the exercises (owned by exercises/; the site only displays them) through the grader's
// catalog, so numbers, titles, tasks and hints on the site are the ones the CLI prints.
import { fileURLToPath } from "node:url";
import { loadManifest } from "../../src/grader/manifest.js";
import { chapterSection, exerciseCard, type ExerciseCard } from "../../src/grader/catalog.js";
import { CHAPTERS, CHAPTERS_DIR, loadChapters } from "./chapters.js";

/** `number` is "1.3": chapter and position, as the CLI and the README print it. */
export interface ExerciseEntry extends Pick<ExerciseCard, "id" | "number" | "chapter" | "title" | "kind" | "file"> {
  hints?: number;
  /** Site path of the chapter's page (e.g. "/chapters/04-guest-memfd-secure-world"), if one exists. */
  chapterPage?: string;
  /** The chapter's menu title ("4. guest_memfd and the secure world"). */
  chapterTitle?: string;
  /** Site path of the exercise's own page. */
  page: string;
}

export const EXERCISES_DIR = fileURLToPath(new URL("../../exercises", import.meta.url));
export const MANIFEST_PATH = fileURLToPath(new URL("../../exercises/manifest.json", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export { CHAPTERS_DIR };

/** Chapter number → site path, from docs/chapters/NN-slug.md. */
export function chapterPages(dir: string = CHAPTERS_DIR): Map<number, string> {
  return new Map(loadChapters(dir).map((c) => [c.number, c.link]));
}

export function exercisePage(id: string): string {
  return `/exercises/${id}`;
}

export function loadExercises(exercisesDir: string = EXERCISES_DIR, chaptersDir: string = CHAPTERS_DIR): ExerciseEntry[] {
  const list = loadManifest(exercisesDir);
  const chapters = chaptersDir === CHAPTERS_DIR ? CHAPTERS : loadChapters(chaptersDir);
  return list.map((e) => {
    const c = chapters.find((x) => x.number === e.chapter);
    const card = exerciseCard(list, exercisesDir, e);
    return {
      id: e.id, number: card.number, chapter: e.chapter, title: e.title, kind: e.kind, file: e.file, hints: e.hints,
      chapterPage: c?.link, chapterTitle: c?.text, page: exercisePage(e.id),
    };
  });
}

/** Every exercise with its README, hints and recap (the exercise pages' content). */
export function loadCards(exercisesDir: string = EXERCISES_DIR): (ExerciseCard & { entry: ExerciseEntry; sectionTitle: string | null })[] {
  const list = loadManifest(exercisesDir);
  const entries = loadExercises(exercisesDir);
  return list.map((e, i) => {
    const card = exerciseCard(list, exercisesDir, e);
    const s = card.recap ? chapterSection(e.chapter, card.recap.section, ROOT) : null;
    return { ...card, entry: entries[i], sectionTitle: s?.title ?? null };
  });
}
