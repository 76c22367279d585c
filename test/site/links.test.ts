// Every internal link in the built site must point at a file in dist, and every #anchor at an id
// on the target page (Observable Plot's docs keep the same check).
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DIST, buildSiteOnce, distFileFor, htmlFiles } from "./site-build.js";

const decode = (s: string) => s.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");

/** href/src values of a page, without the contents of <script> and <code> blocks. */
function linksOf(html: string): string[] {
  const body = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, (m) => m.replace(/>[\s\S]*<\//, "></"));
  const out: string[] = [];
  for (const m of body.matchAll(/\s(?:href|src)="([^"]*)"/g)) out.push(decode(m[1]));
  return out;
}

function idsOf(html: string): Set<string> {
  const ids = new Set<string>();
  for (const m of html.matchAll(/\sid="([^"]*)"/g)) ids.add(decode(m[1]));
  return ids;
}

describe("course site: internal links", { timeout: 1_200_000 }, () => {
  beforeAll(async () => {
    await buildSiteOnce();
  }, 1_200_000);

  it("resolves every internal link to a file and every anchor to an id", () => {
    const pages = htmlFiles(DIST);
    expect(pages.length, "built pages").toBeGreaterThanOrEqual(5);
    const idCache = new Map<string, Set<string>>();
    const ids = (file: string) => {
      let s = idCache.get(file);
      if (!s) idCache.set(file, (s = idsOf(readFileSync(file, "utf8"))));
      return s;
    };
    const broken: string[] = [];
    let checked = 0;
    let anchors = 0;
    for (const page of pages) {
      const rel = "/" + relative(DIST, page).split("\\").join("/");
      if (rel === "/404.html") continue;
      for (const link of linksOf(readFileSync(page, "utf8"))) {
        if (/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(link)) continue; // external: https:, mailto:, data:
        if (link === "" || link.startsWith("javascript")) continue;
        const url = new URL(link, "http://site" + rel);
        const target = url.pathname === new URL("http://site" + rel).pathname && link.startsWith("#") ? page : distFileFor(url.pathname);
        checked++;
        if (!target) {
          broken.push(`${rel}: ${link} → no file in dist`);
          continue;
        }
        if (url.hash && url.hash !== "#" && target.endsWith(".html")) {
          anchors++;
          // A browser tries the fragment as written, then percent-decoded (nbconvert's ids are encoded).
          const raw = url.hash.slice(1);
          const id = decodeURIComponent(raw);
          if (!ids(target).has(id) && !ids(target).has(raw)) broken.push(`${rel}: ${link} → no id="${id}" in ${relative(DIST, target)}`);
        }
      }
    }
    console.log(`[links] ${pages.length} pages, ${checked} internal links, ${anchors} anchors checked`);
    expect(checked, "internal links found").toBeGreaterThan(20);
    expect(anchors, "anchors found (the exercise boxes link to #ids)").toBeGreaterThan(3);
    expect(broken, `broken internal links:\n${broken.join("\n")}`).toEqual([]);
  });
});
