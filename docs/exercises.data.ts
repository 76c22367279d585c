// Build-time data for exercises.md: the exercises as the grader's catalog lists them.
import { loadExercises, MANIFEST_PATH, type ExerciseEntry } from "./.vitepress/exercises";

export type { ExerciseEntry };
declare const data: ExerciseEntry[];
export { data };

export default {
  watch: [MANIFEST_PATH, "../exercises/*/README.md"],
  load(): ExerciseEntry[] {
    return loadExercises();
  },
};
