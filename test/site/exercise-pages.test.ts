// The site shows every exercise as the grader's catalog defines it: one page per exercise with
// its number and title, the command that opens it, the file to edit, its hints folded; each
// chapter's exercise boxes and the exercise list carry the same number and title.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { exerciseNumber, loadRecap } from "../../src/grader/catalog.js";
import { loadHints, loadManifest } from "../../src/grader/manifest.js";
import { loadChapters } from "../../docs/.vitepress/chapters.js";
import { DIST, ROOT, buildSiteOnce } from "./site-build.js";

const EXERCISES = join(ROOT, "exercises");
const list = loadManifest(EXERCISES);
const text = (html: string) => html.replace(/<[^>]+>/g, "").replace(/&amp;/g, "&").replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/\u200b/g, "").trim();

describe("course site: exercises on the page", { timeout: 1_200_000 }, () => {
  beforeAll(async () => {
    await buildSiteOnce();
  }, 1_200_000);

  it.each(list.map((e) => [e.id, e] as const))("%s has its own page: number, title, command, file, folded hints, folded recap", (id, e) => {
    const file = join(DIST, "exercises", `${id}.html`);
    expect(existsSync(file), `dist/exercises/${id}.html`).toBe(true);
    const html = readFileSync(file, "utf8");
    const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html);
    expect(text(h1?.[1] ?? "").replace(/\s*​?#?$/, ""), "the page heading").toBe(`${exerciseNumber(list, id)} · ${e.title}`);
    expect(html).toContain(`npx mfr-lab learn ${id}`);
    expect(html).toContain(`exercises/${id}/${e.file}`);
    const details = [...html.matchAll(/<details class="details custom-block"><summary>([^<]*)<\/summary>/g)].map((m) => m[1]);
    expect(details.filter((d) => d.startsWith("Hint ")).length, "each hint folded in its own box").toBe(loadHints(EXERCISES, id).length);
    expect(details.some((d) => d.startsWith("What this shows")), "the recap is folded").toBe(true);
    const recap = loadRecap(EXERCISES, id)!;
    expect(html, "the recap links to the chapter section").toMatch(new RegExp(`href="[^"]*/chapters/[^"#]+\\.html#${recap.section}"`));
  });

  it("each chapter's exercise boxes give the number, the title and `npx mfr-lab learn <id>`, and link to the exercise's page", () => {
    let boxes = 0;
    for (const c of loadChapters()) {
      const html = readFileSync(join(DIST, "chapters", `${c.slug}.html`), "utf8");
      for (const m of html.matchAll(/<div class="exercise-box" data-exercise="([^"]+)">([\s\S]*?)<\/div>/g)) {
        const [, id, box] = m;
        const e = list.find((x) => x.id === id)!;
        boxes++;
        expect(text(/<a [^>]*>([\s\S]*?)<\/a>/.exec(box)?.[1] ?? ""), `${c.slug}: ${id}'s box title`).toBe(`${exerciseNumber(list, id)} · ${e.title}`);
        expect(/<a href="([^"]+)"/.exec(box)?.[1], `${c.slug}: ${id}'s box links to its page`).toMatch(new RegExp(`/exercises/${id}\\.html$`));
        expect(box).toContain(`npx mfr-lab learn ${id}`);
      }
    }
    expect(boxes, "every exercise has a box in its chapter").toBe(list.length);
  });

  it("the exercise list shows every exercise with the same number and title", () => {
    const html = readFileSync(join(DIST, "exercises.html"), "utf8");
    for (const e of list) expect(text(html), e.id).toContain(`${exerciseNumber(list, e.id)} · ${e.title}`);
  });
});
