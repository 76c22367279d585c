// One number and one title per exercise everywhere: the number is the chapter and the position in
// the manifest; the README's first line, the student file's and the reference's first comment say
// the same; every exercise has a recap whose section exists on its chapter's page. (The site's
// pages are checked against the same catalog in test/site/exercise-pages.test.ts.)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chapterSection, exerciseNumber, loadReadme, loadRecap, readmeHeading } from "../../src/grader/catalog.js";
import { EXERCISES, list } from "./fresh-copy.js";

describe("exercise catalog", () => {
  it("numbers run 1, 2, 3… within each chapter in manifest order, and chapters do not interleave", () => {
    const chapters = list.map((e) => e.chapter);
    expect(chapters, "the manifest lists chapters in order").toEqual([...chapters].sort((a, b) => a - b));
    for (const e of list) {
      const same = list.filter((x) => x.chapter === e.chapter);
      expect(exerciseNumber(list, e.id)).toBe(`${e.chapter}.${same.indexOf(e) + 1}`);
    }
  });

  it.each(list.map((e) => [e.id, e] as const))("%s: README heading and file headers carry the manifest's number and title", (_id, e) => {
    expect(loadReadme(EXERCISES, e.id).heading, `exercises/${e.id}/README.md line 1`).toBe(readmeHeading(list, e));
    const header = `// Exercise ${exerciseNumber(list, e.id)} — ${e.title} (Chapter ${e.chapter}).`;
    for (const f of [e.file, join(".meta", "reference.ts")]) {
      expect(readFileSync(join(EXERCISES, e.id, f), "utf8").split("\n")[0], `exercises/${e.id}/${f} line 1`).toBe(header);
    }
  });

  it.each(list.map((e) => [e.id, e] as const))("%s: has a recap (.meta/recap.md) pointing at a section of its chapter", (_id, e) => {
    const recap = loadRecap(EXERCISES, e.id);
    expect(recap, `exercises/${e.id}/.meta/recap.md: "section: <anchor>" front matter, then what a pass shows`).not.toBeNull();
    expect(recap!.text.length, "a recap of a few sentences").toBeGreaterThan(80);
    const s = chapterSection(e.chapter, recap!.section);
    expect(s, `a docs/chapters page for chapter ${e.chapter}`).not.toBeNull();
    expect(s!.title, `${s!.file} has a section {#${recap!.section}}`).not.toBeNull();
  });
});
