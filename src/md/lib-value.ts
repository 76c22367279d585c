import type MarkdownIt from "markdown-it";

export interface LibValueOptions {
  /** Named values computed by the library (the site computes them when the config loads). */
  values: Readonly<Record<string, string | number>>;
}

const OPEN = "[[lib:";
const NAME_RE = /^[A-Za-z0-9_.\-]+$/;
/** Values up to this many characters are kept on one line. */
const SHORT_VALUE = 24;

/**
 * Inline syntax `[[lib:memcycle.fitted.value]]`: replaced by the named value the library computed,
 * inside `<span class="lib-value" data-lib="NAME">`. An unknown name throws, so prose can never
 * show a number the library no longer produces.
 */
export function libValuePlugin(md: MarkdownIt, options: LibValueOptions): void {
  const values = options.values;
  md.inline.ruler.before("link", "lib_value", (state, silent) => {
    if (!state.src.startsWith(OPEN, state.pos)) return false;
    const end = state.src.indexOf("]]", state.pos + OPEN.length);
    if (end < 0 || end > state.posMax) return false;
    const name = state.src.slice(state.pos + OPEN.length, end).trim();
    if (!NAME_RE.test(name)) throw new Error(`library value "${name}": names use letters, digits, ".", "_" and "-"`);
    if (!Object.prototype.hasOwnProperty.call(values, name)) {
      const near = Object.keys(values).filter((k) => k.split(".")[0] === name.split(".")[0]).slice(0, 8);
      throw new Error(`library value "${name}" is not defined${near.length ? `; defined in that group: ${near.join(", ")}` : ""}`);
    }
    if (!silent) {
      const text = String(values[name]);
      // A number with its unit stays on one line; a longer value (a list, a range) may wrap, or it
      // would push the page wider than a phone's screen.
      const cls = text.length <= SHORT_VALUE ? "lib-value" : "lib-value lib-value-long";
      const t = state.push("html_inline", "", 0);
      t.content = `<span class="${cls}" data-lib="${md.utils.escapeHtml(name)}">${md.utils.escapeHtml(text)}</span>`;
    }
    state.pos = end + 2;
    return true;
  });
}
