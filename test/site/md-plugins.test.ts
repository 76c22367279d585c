import MarkdownIt from "markdown-it";
import { describe, expect, it } from "vitest";
import {
  KERNEL_REF_VERSION,
  exerciseContainerPlugin,
  glossaryLinkPlugin,
  parseGlossary,
  kernelFileUrl,
  kernelIdentUrl,
  kernelRefPlugin,
  libValuePlugin,
  lkmlRefPlugin,
  lkmlUrl,
  parseKernelRef,
} from "../../src/md/index.js";

function mdWith(values: Record<string, string | number> = {}): MarkdownIt {
  return new MarkdownIt()
    .use(kernelRefPlugin)
    .use(lkmlRefPlugin)
    .use(libValuePlugin, { values })
    .use(exerciseContainerPlugin, { href: (id: string) => `/exercises#${id}` });
}

describe("kernel-ref: [[kernel:path#ident]] links into the pinned kernel source", () => {
  it("pins one kernel version and builds file and identifier URLs from it", () => {
    expect(KERNEL_REF_VERSION).toMatch(/^v\d+\.\d+$/);
    expect(kernelFileUrl("mm/memory-failure.c")).toBe(`https://elixir.bootlin.com/linux/${KERNEL_REF_VERSION}/source/mm/memory-failure.c`);
    expect(kernelIdentUrl("memory_failure")).toBe(`https://elixir.bootlin.com/linux/${KERNEL_REF_VERSION}/C/ident/memory_failure`);
  });

  it("with a checked list, refuses a reference nobody has checked against the source", () => {
    const md = new MarkdownIt().use(kernelRefPlugin, { checked: { "mm/memory-failure.c#memory_failure": "read" } });
    expect(md.renderInline("[[kernel:mm/memory-failure.c#memory_failure]]")).toContain("memory_failure()");
    expect(() => md.renderInline("[[kernel:mm/memory-failure.c#memory_failur]]")).toThrow(/has not been checked.*memory_failur is defined in mm\/memory-failure\.c.*CHECKED_KERNEL_REFS/);
    expect(() => md.renderInline("[[kernel:mm/hugetlb.c#memory_failure]]"), "right name, wrong file").toThrow(/has not been checked/);
  });

  it("renders the function linked to its definition and the file linked to its source", () => {
    const html = mdWith().renderInline("see [[kernel:mm/memory-failure.c#memory_failure]] first");
    expect(html).toContain(`href="${kernelIdentUrl("memory_failure")}"`);
    expect(html).toContain("<code>memory_failure()</code>");
    expect(html).toContain(`href="${kernelFileUrl("mm/memory-failure.c")}"`);
    expect(html).toContain("<code>mm/memory-failure.c</code>");
    expect(html.startsWith("see ")).toBe(true);
    expect(html.endsWith(" first")).toBe(true);
  });

  it("accepts a file-only reference and a custom label", () => {
    const file = mdWith().renderInline("[[kernel:mm/hugetlb.c]]");
    expect(file).toContain(`href="${kernelFileUrl("mm/hugetlb.c")}"`);
    expect(file).not.toContain("/C/ident/");
    const labelled = mdWith().renderInline("[[kernel:mm/memory-failure.c#__add_to_kill|the size_shift choice]]");
    expect(labelled).toContain(">the size_shift choice</a>");
    expect(labelled).toContain(kernelIdentUrl("__add_to_kill"));
  });

  it("rejects a path that climbs out of the tree or an identifier that is not C", () => {
    expect(() => parseKernelRef("../etc/passwd")).toThrow(/not a kernel source path/);
    expect(() => parseKernelRef("mm/memory-failure.c#memory-failure")).toThrow(/not a C identifier/);
    expect(() => mdWith().render("[[kernel:mm/x.c#bad name]]")).toThrow(/not a C identifier/);
  });

  it("leaves ordinary links and [[other]] text alone", () => {
    const html = mdWith().renderInline("[a](https://example.org) and [[not a ref]]");
    expect(html).toContain('<a href="https://example.org">a</a>');
    expect(html).toContain("[[not a ref]]");
  });
});

describe("lkml-ref: [[lkml:Message-ID]] links to the archived message", () => {
  it("links the Message-ID from Jason Gunthorpe's reply", () => {
    const html = mdWith().renderInline("[[lkml:20250120172626.GO5556@nvidia.com]]");
    expect(html).toContain(`href="${lkmlUrl("20250120172626.GO5556@nvidia.com")}"`);
    expect(html).toContain("<code>20250120172626.GO5556@nvidia.com</code>");
  });
  it("rejects text that is not a Message-ID", () => {
    expect(() => lkmlUrl("no at sign")).toThrow(/not a Message-ID/);
  });
});

describe("lib-value: [[lib:name]] prints a number the library computed", () => {
  it("substitutes the named value inside a tagged span", () => {
    const html = mdWith({ "walk.2d.4x4": 24 }).renderInline("a 2D walk reads [[lib:walk.2d.4x4]] entries");
    expect(html).toBe('a 2D walk reads <span class="lib-value" data-lib="walk.2d.4x4">24</span> entries');
  });
  it("escapes the value", () => {
    expect(mdWith({ x: "<b>" }).renderInline("[[lib:x]]")).toContain("&lt;b&gt;");
  });
  it("fails the build on a name the library does not define, naming its neighbours", () => {
    expect(() => mdWith({ "memcycle.fitted": 1 }).render("[[lib:memcycle.fited]]")).toThrow(/memcycle\.fited.*not defined.*memcycle\.fitted/);
  });
});

describe("exercise container: ::: exercise <id> links to the exercise folder", () => {
  it("renders a box with the folder, a link, the inner markdown and the start command", () => {
    const html = mdWith().render("::: exercise ch1-tlb-reach How far does a TLB reach?\nCompute the **reach**.\n:::\n\nafter\n");
    expect(html).toContain('<div class="exercise-box" data-exercise="ch1-tlb-reach">');
    expect(html).toContain('<a href="/exercises#ch1-tlb-reach">How far does a TLB reach?</a>');
    expect(html).toContain("<code>exercises/ch1-tlb-reach/</code>");
    expect(html).toContain("<p>Compute the <strong>reach</strong>.</p>");
    expect(html).toContain("npm run learn -- ch1-tlb-reach");
    // The paragraph after the container is outside the box.
    expect(html.indexOf("<p>after</p>")).toBeGreaterThan(html.indexOf("</div>"));
  });
  it("keeps a nested container inside and closes on the matching marker", () => {
    const html = mdWith().render("::: exercise ex-1\n::: tip\ninner\n:::\nstill inside\n:::\noutside\n");
    const close = html.lastIndexOf("</div>");
    expect(html.indexOf("still inside")).toBeLessThan(close);
    expect(html.indexOf("outside")).toBeGreaterThan(close);
  });
  it("takes the title from the manifest lookup when the container gives none", () => {
    const md = new MarkdownIt().use(exerciseContainerPlugin, { href: (id: string) => `/x#${id}`, title: (id: string) => (id === "ch1-nested-walk" ? "2D page walks" : undefined), command: () => "npm run learn" });
    const html = md.render("::: exercise ch1-nested-walk\nbody\n:::\n");
    expect(html).toContain('<a href="/x#ch1-nested-walk">2D page walks</a>');
    expect(html).toContain("<code>npm run learn</code>");
  });
  it("does not match other containers or an exercise without an id", () => {
    expect(mdWith().render("::: tip\nx\n:::\n")).not.toContain("exercise-box");
    expect(mdWith().render("::: exercise\nx\n:::\n")).not.toContain("exercise-box");
  });
});

describe("glossary links: a term links to its entry where it first appears on a page", () => {
  const glossaryMd = [
    "# Glossary",
    "### THP (transparent huge page) {#thp}",
    "A 2M folio the kernel can split. More text.",
    "### Folio {#folio}",
    "The kernel's unit of memory.",
    "### Held back, pending (pinned memory) {#held-back}",
    "Memory a pin keeps.",
    "### memfd, MFD_MF_KEEP_UE_MAPPED {#memfd}",
    "An anonymous file.",
    "### PFN, struct page, pfn_valid() {#pfn}",
    "A page frame number.",
  ].join("\n");
  const entries = parseGlossary(glossaryMd);
  const md = new MarkdownIt().use(glossaryLinkPlugin, { entries, href: (id: string) => `/glossary#${id}`, skip: (env: unknown) => (env as { page?: string })?.page === "glossary" });

  it("reads terms, expansions of acronyms and a one-sentence summary from the headings", () => {
    expect(entries.find((e) => e.id === "thp")).toEqual({ id: "thp", terms: ["transparent huge page", "THP"], summary: "A 2M folio the kernel can split." });
    expect(entries.find((e) => e.id === "held-back")?.terms, "a word with another common sense is not linked").toEqual(["Held back"]);
    expect(entries.find((e) => e.id === "pfn")?.terms).toEqual(["PFN", "struct page", "pfn_valid()"]);
  });

  it("links the first appearance only, in text or exact inline code, not in headings or links", () => {
    const html = md.render("## THP and folios\n\nA THP is a large folio. Another THP.\n\nSee [THP docs](https://x) and `memfd` and `memfd_create()`; Folio again.\n");
    expect(html).toContain("<h2>THP and folios</h2>");
    expect(html.match(/href="\/glossary#thp"/g), "THP linked once").toHaveLength(1);
    expect(html).toContain('<a href="/glossary#thp" class="glossary-term" title="A 2M folio the kernel can split.">THP</a> is a large');
    expect(html).toContain('<a href="/glossary#folio" class="glossary-term" title="The kernel\'s unit of memory.">folio</a>. Another THP.');
    expect(html).toContain('<a href="https://x">THP docs</a>');
    expect(html).toContain('<a href="/glossary#memfd" class="glossary-term" title="An anonymous file."><code>memfd</code></a> and <code>memfd_create()</code>');
    expect(html.match(/glossary#folio/g)).toHaveLength(1);
  });

  it("does not link on the glossary page itself, nor inside words", () => {
    expect(md.render("A THP.", { page: "glossary" })).not.toContain("glossary-term");
    expect(md.render("THPs and subfolio and folio_put")).not.toContain("glossary-term");
  });
});
