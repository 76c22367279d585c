import type MarkdownIt from "markdown-it";

/** One glossary entry: its anchor, the words that name it, and a one-sentence summary. */
export interface GlossaryEntry {
  id: string;
  terms: string[];
  summary: string;
}

export interface GlossaryLinkOptions {
  entries: readonly GlossaryEntry[];
  /** Link target of an entry (a site path VitePress turns into the page's URL). */
  href: (id: string) => string;
  /** Pages that get no links (the glossary itself), by markdown-it env. */
  skip?: (env: unknown) => boolean;
}

/** Words a heading names that are too common in other senses to link ("pending" work upstream). */
const AMBIGUOUS = new Set(["pending"]);
const ACRONYM = /^[A-Z][A-Z0-9-]*$/;

/**
 * Reads the glossary's `### Term, other term (expansion) {#id}` headings. A heading names its terms
 * separated by ",", "/" or " and "; a parenthesis after an acronym is its expansion (also linked).
 * The summary is the entry's first sentence, as plain text (a link's tooltip).
 */
export function parseGlossary(markdown: string): GlossaryEntry[] {
  const entries: GlossaryEntry[] = [];
  const parts = markdown.split(/^###\s+/m).slice(1);
  for (const part of parts) {
    const nl = part.indexOf("\n");
    const head = /^(.*?)\s*\{#([A-Za-z0-9_-]+)\}\s*$/.exec(nl < 0 ? part : part.slice(0, nl));
    if (!head) continue;
    let name = head[1];
    const terms: string[] = [];
    const paren = /^(.*?)\s*\(([^)]+)\)\s*$/.exec(name);
    if (paren) {
      name = paren[1];
      if (ACRONYM.test(name.trim())) terms.push(paren[2].trim());
    }
    // "MF outcomes: MF_IGNORED, …": the words before a colon introduce the list.
    name = name.replace(/^[^:]*:\s+/, "");
    for (const t of name.split(/\s*,\s*|\s+\/\s+|\s+and\s+/)) {
      const term = t.trim();
      if (term && !AMBIGUOUS.has(term.toLowerCase())) terms.push(term);
    }
    const body = (nl < 0 ? "" : part.slice(nl + 1)).trim();
    const plain = body
      .replace(/\[\[kernel:[^\]#]*#([^\]|]+)[^\]]*\]\]/g, "$1()")
      .replace(/\[\[[^\]]*\]\]/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/`/g, "")
      .replace(/\*\*?([^*]+)\*\*?/g, "$1")
      .replace(/\s+/g, " ");
    const sentence = /^(.*?[.!?])(\s|$)/.exec(plain);
    entries.push({ id: head[2], terms: [...new Set(terms)], summary: (sentence ? sentence[1] : plain).trim() });
  }
  return entries;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A term as a pattern: an acronym or identifier exactly; a word's first letter in either case. */
function termPattern(term: string): string {
  const first = term[0];
  const word = /^[A-Z][a-z]/.test(term) || /^[a-z]/.test(term);
  if (word && /[A-Za-z]/.test(first) && !/_/.test(term) && !/[A-Z]/.test(term.slice(1))) {
    return `[${first.toUpperCase()}${first.toLowerCase()}]${escapeRe(term.slice(1))}`;
  }
  return escapeRe(term);
}

/**
 * Links each glossary term to its entry where it first appears on a page: in text and in inline
 * code that is exactly the term, never in headings or inside another link. One link per entry per
 * page, so the prose is not a sea of links.
 */
export function glossaryLinkPlugin(md: MarkdownIt, options: GlossaryLinkOptions): void {
  const byTerm = new Map<string, GlossaryEntry>();
  for (const e of options.entries) for (const t of e.terms) if (!byTerm.has(t)) byTerm.set(t, e);
  const terms = [...byTerm.keys()].sort((a, b) => b.length - a.length);
  if (terms.length === 0) return;
  const re = new RegExp(`(?<![\\w-])(?:${terms.map(termPattern).join("|")})(?![\\w-]|\\(\\))`, "g");
  const entryOf = (matched: string): GlossaryEntry | undefined => byTerm.get(matched) ?? byTerm.get(matched[0].toUpperCase() + matched.slice(1)) ?? byTerm.get(matched[0].toLowerCase() + matched.slice(1));
  const codeEntry = new Map<string, GlossaryEntry>();
  for (const [t, e] of byTerm) if (/[_()[\]]|^[a-z]+$|^[A-Z_]+$/.test(t)) codeEntry.set(t, e);

  md.core.ruler.push("glossary_links", (state) => {
    if (options.skip?.(state.env)) return;
    const seen = new Set<string>();
    let inHeading = false;
    for (const block of state.tokens) {
      if (block.type === "heading_open") inHeading = true;
      if (block.type === "heading_close") inHeading = false;
      if (block.type !== "inline" || inHeading || !block.children) continue;
      const out: typeof block.children = [];
      let linkDepth = 0;
      const link = (e: GlossaryEntry, inner: typeof block.children): void => {
        const open = new state.Token("link_open", "a", 1);
        open.attrs = [["href", options.href(e.id)], ["class", "glossary-term"], ["title", e.summary]];
        const close = new state.Token("link_close", "a", -1);
        out.push(open, ...inner, close);
        seen.add(e.id);
      };
      for (const t of block.children) {
        if (t.type === "link_open") linkDepth++;
        if (t.type === "link_close") linkDepth--;
        if (linkDepth > 0) {
          out.push(t);
          continue;
        }
        if (t.type === "code_inline") {
          const e = codeEntry.get(t.content);
          if (e && !seen.has(e.id)) link(e, [t]);
          else out.push(t);
          continue;
        }
        if (t.type !== "text") {
          out.push(t);
          continue;
        }
        let rest = t.content;
        re.lastIndex = 0;
        let m: RegExpExecArray | null;
        let from = 0;
        while ((m = re.exec(rest)) !== null) {
          const e = entryOf(m[0]);
          if (!e || seen.has(e.id)) continue;
          if (m.index > from) {
            const before = new state.Token("text", "", 0);
            before.content = rest.slice(from, m.index);
            out.push(before);
          }
          const word = new state.Token("text", "", 0);
          word.content = m[0];
          link(e, [word]);
          from = m.index + m[0].length;
        }
        if (from === 0) out.push(t);
        else if (from < rest.length) {
          const after = new state.Token("text", "", 0);
          after.content = rest.slice(from);
          out.push(after);
        }
        rest = "";
      }
      block.children = out;
    }
  });
}
