// Build-time data for exercises.md: the exercise manifest, so the page lists what exists.
import { loadExercises, MANIFEST_PATH, type ExerciseEntry } from "./.vitepress/exercises";

export type { ExerciseEntry };
declare const data: ExerciseEntry[];
export { data };

export default {
  watch: [MANIFEST_PATH],
  load(): ExerciseEntry[] {
    return loadExercises();
  },
};
