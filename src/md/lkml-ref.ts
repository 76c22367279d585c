import type MarkdownIt from "markdown-it";

/** Public mailing-list archive that resolves a Message-ID to the message. */
export const LKML_ARCHIVE_BASE = "https://lore.kernel.org/r";

const MSGID_RE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+@[A-Za-z0-9\-.]+$/;

/** URL of a mailing-list message by Message-ID (without the angle brackets). */
export function lkmlUrl(messageId: string): string {
  const id = messageId.trim().replace(/^<|>$/g, "");
  if (!MSGID_RE.test(id)) throw new Error(`LKML reference: "${messageId}" is not a Message-ID (local@domain)`);
  return `${LKML_ARCHIVE_BASE}/${encodeURIComponent(id).replace(/%40/g, "@")}`;
}

const OPEN = "[[lkml:";

/** Inline syntax `[[lkml:MESSAGE-ID]]`: the Message-ID in code, linked to the archived message. */
export function lkmlRefPlugin(md: MarkdownIt): void {
  md.inline.ruler.before("link", "lkml_ref", (state, silent) => {
    if (!state.src.startsWith(OPEN, state.pos)) return false;
    const end = state.src.indexOf("]]", state.pos + OPEN.length);
    if (end < 0 || end > state.posMax) return false;
    const id = state.src.slice(state.pos + OPEN.length, end).trim();
    const href = lkmlUrl(id);
    if (!silent) {
      const open = state.push("link_open", "a", 1);
      open.attrs = [["href", href], ["class", "lkml-ref"], ["title", "Message on the lore archive"]];
      const t = state.push("code_inline", "code", 0);
      t.content = id;
      state.push("link_close", "a", -1);
    }
    state.pos = end + 2;
    return true;
  });
}
