import type MarkdownIt from "markdown-it";

export interface ExerciseContainerOptions {
  /** Where the exercise folder `id` is described (a site page anchor or a repository URL). */
  href: (id: string) => string;
  /** Command a student runs to start it (shown in the box). */
  command?: (id: string) => string;
  /** Title used when the container line gives none (e.g. from the exercise manifest). */
  title?: (id: string) => string | undefined;
}

const OPEN_RE = /^:::\s*exercise\s+([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$/;
const ANY_OPEN_RE = /^:::+\s*\S/;
const CLOSE_RE = /^:::+\s*$/;

/**
 * Block container
 *
 *     ::: exercise ch1-tlb-reach Optional title
 *     What to do, in markdown.
 *     :::
 *
 * renders a box that names the exercise folder `exercises/<id>/`, links to it and shows the command
 * that starts it. Other `::: name` containers may be nested inside; each `:::` closes the innermost.
 */
export function exerciseContainerPlugin(md: MarkdownIt, options: ExerciseContainerOptions): void {
  const command = options.command ?? ((id: string) => `npm run learn -- ${id}`);

  md.block.ruler.before("fence", "exercise_container", (state, startLine, endLine, silent) => {
    if (state.sCount[startLine] - state.blkIndent >= 4) return false;
    const first = state.src.slice(state.bMarks[startLine] + state.tShift[startLine], state.eMarks[startLine]);
    const m = OPEN_RE.exec(first);
    if (!m) return false;
    if (silent) return true;

    let next = startLine;
    let depth = 0;
    let closed = false;
    while (++next < endLine) {
      const start = state.bMarks[next] + state.tShift[next];
      const max = state.eMarks[next];
      // A non-blank line indented less than the container ends it (e.g. inside a list item).
      if (start < max && state.sCount[next] < state.blkIndent) break;
      if (state.sCount[next] - state.blkIndent >= 4) continue;
      const line = state.src.slice(start, max);
      if (CLOSE_RE.test(line)) {
        if (depth === 0) {
          closed = true;
          break;
        }
        depth--;
      } else if (ANY_OPEN_RE.test(line)) {
        depth++;
      }
    }

    const oldParent = state.parentType;
    const oldLineMax = state.lineMax;
    state.parentType = "container" as typeof state.parentType;
    state.lineMax = next;

    const open = state.push("exercise_open", "div", 1);
    open.block = true;
    open.markup = ":::";
    open.info = m[1];
    open.meta = { id: m[1], title: m[2].trim() };
    open.map = [startLine, next];
    state.md.block.tokenize(state, startLine + 1, next);
    const close = state.push("exercise_close", "div", -1);
    close.block = true;
    close.markup = ":::";
    close.meta = open.meta;

    state.parentType = oldParent;
    state.lineMax = oldLineMax;
    state.line = next + (closed ? 1 : 0);
    return true;
  }, { alt: ["paragraph", "reference", "blockquote", "list"] });

  const esc = md.utils.escapeHtml;
  md.renderer.rules.exercise_open = (tokens, idx) => {
    const { id, title } = tokens[idx].meta as { id: string; title: string };
    const fallback = options.title ? options.title(id) : undefined;
    const heading = title ? md.renderInline(title) : fallback ? esc(fallback) : esc(id);
    return (
      `<div class="exercise-box" data-exercise="${esc(id)}">\n` +
      `<p class="exercise-title"><span class="exercise-label">Exercise</span> ` +
      `<a href="${esc(options.href(id))}">${heading}</a> <code>exercises/${esc(id)}/</code></p>\n`
    );
  };
  md.renderer.rules.exercise_close = (tokens, idx) => {
    const { id } = tokens[idx].meta as { id: string };
    return `<p class="exercise-run">Start it with <code>${esc(command(id))}</code></p>\n</div>\n`;
  };
}
