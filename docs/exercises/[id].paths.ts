// One page per exercise, generated from exercises/<id>/README.md (the task), hints.md (collapsed
// hints) and .meta/recap.md (what a pass shows, collapsed): the same files the CLI prints, so the
// site and the terminal cannot say different things. A new exercise gets its page by itself.
import { loadCards } from "../.vitepress/exercises";

/**
 * The exercise files are plain markdown, read on GitHub and in a terminal too; on the site they
 * become part of a Vue template, where a bare `<type>` would be taken for an element and `{{ }}`
 * for an interpolation. Escape both outside code.
 */
export function escapeForVue(md: string): string {
  let fence: string | null = null;
  return md
    .split("\n")
    .map((line) => {
      const f = /^\s*(`{3,}|~{3,})/.exec(line);
      if (f) {
        if (fence === null) fence = f[1][0];
        else if (f[1][0] === fence) fence = null;
        return line;
      }
      if (fence !== null) return line;
      return line
        .split(/(`+[^`]*`+)/)
        .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;").replace(/\{\{/g, "&#123;&#123;")))
        .join("");
    })
    .join("\n");
}

function markdownFor(c: ReturnType<typeof loadCards>[number]): string {
  const e = c.entry;
  const section = c.recap && e.chapterPage ? `${e.chapterPage}#${c.recap.section}` : e.chapterPage;
  const sectionText = c.sectionTitle ? `${e.chapterTitle} — ${c.sectionTitle}` : e.chapterTitle ?? `Chapter ${e.chapter}`;
  const hints = c.hints.map((h, i) => `::: details Hint ${i + 1} of ${c.hints.length}\n${escapeForVue(h)}\n:::`).join("\n\n");
  return [
    `# ${c.number} · ${c.title} {#exercise}`,
    "",
    `<div class="exercise-box exercise-start" data-exercise="${e.id}">`,
    "",
    `Open it in a terminal in the course folder: \`npx mfr-lab learn ${e.id}\` — it shows the task, re-runs the tests each time you save \`exercises/${e.id}/${e.file}\`, and \`h\` gives the next hint.`,
    "",
    section ? `Read first: [${sectionText}](${section}).` : "",
    "",
    "</div>",
    "",
    escapeForVue(c.readme.body),
    "",
    "## Hints {#hints}",
    "",
    hints || "This exercise has no hints.",
    "",
    "## After you pass {#after-you-pass}",
    "",
    "::: details What this shows (read it once your file passes)",
    c.recap ? escapeForVue(c.recap.text) : "",
    "",
    section ? `More in [${sectionText}](${section}).` : "",
    `The reference solution is \`exercises/${e.id}/.meta/reference.ts\`; \`npx mfr-lab learn\` offers it when you pass.`,
    ":::",
    "",
  ].join("\n");
}

export default {
  watch: ["../../exercises/**/*.md", "../../exercises/manifest.json"],
  paths() {
    return loadCards().map((c) => ({
      params: { id: c.id, number: c.number, title: c.title },
      content: markdownFor(c),
    }));
  },
};
