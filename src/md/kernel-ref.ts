import type MarkdownIt from "markdown-it";

/**
 * Kernel version every source link points at: mainline 7.3, the version the model follows by
 * default. Each linked identifier was checked in the 7.3.4 tree (CHECKED_KERNEL_REFS says how
 * 6.12.117 differs, for the course's pages that say "until 6.12").
 */
export const KERNEL_REF_VERSION = "v7.3";

/** Public cross-referenced kernel source browser (a reference site, not a package registry). */
export const KERNEL_REF_BASE = "https://elixir.bootlin.com/linux";

export interface KernelRef {
  /** Path inside the kernel tree, e.g. "mm/memory-failure.c". */
  path: string;
  /** C identifier (function, macro, struct), e.g. "memory_failure"; absent for a file link. */
  ident?: string;
  /** Text to show instead of the default. */
  label?: string;
}

const PATH_RE = /^[A-Za-z0-9_][A-Za-z0-9_\-./]*$/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses the body of `[[kernel:PATH#IDENT|LABEL]]` ("#IDENT" and "|LABEL" optional).
 * Throws on a malformed reference so a typo fails the site build instead of shipping a dead link.
 */
export function parseKernelRef(body: string): KernelRef {
  let rest = body.trim();
  let label: string | undefined;
  const bar = rest.indexOf("|");
  if (bar >= 0) {
    label = rest.slice(bar + 1).trim();
    rest = rest.slice(0, bar).trim();
    if (label === "") throw new Error(`kernel reference "${body}": empty label after "|"`);
  }
  let ident: string | undefined;
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    ident = rest.slice(hash + 1).trim();
    rest = rest.slice(0, hash).trim();
    if (!IDENT_RE.test(ident)) throw new Error(`kernel reference "${body}": "${ident}" is not a C identifier`);
  }
  if (!PATH_RE.test(rest) || rest.split("/").some((p) => p === ".." || p === ".")) {
    throw new Error(`kernel reference "${body}": "${rest}" is not a kernel source path (e.g. mm/memory-failure.c)`);
  }
  return { path: rest, ident, label };
}

/** URL of a kernel source file at the pinned version. */
export function kernelFileUrl(path: string, version: string = KERNEL_REF_VERSION): string {
  return `${KERNEL_REF_BASE}/${version}/source/${path}`;
}

/** URL of the identifier search (definition and uses) at the pinned version. */
export function kernelIdentUrl(ident: string, version: string = KERNEL_REF_VERSION): string {
  return `${KERNEL_REF_BASE}/${version}/C/ident/${ident}`;
}

export interface KernelRefOptions {
  version?: string;
  /**
   * References checked against the source, keyed "PATH#IDENT" (CHECKED_KERNEL_REFS). When given,
   * a reference not in it throws, so an unchecked link cannot reach the site.
   */
  checked?: Readonly<Record<string, string>>;
}

const OPEN = "[[kernel:";

/**
 * Inline syntax `[[kernel:mm/memory-failure.c#memory_failure]]`: renders the identifier linked to
 * its definition search and the file linked to its source, both at the pinned kernel version.
 */
export function kernelRefPlugin(md: MarkdownIt, options: KernelRefOptions = {}): void {
  const version = options.version ?? KERNEL_REF_VERSION;
  md.inline.ruler.before("link", "kernel_ref", (state, silent) => {
    if (!state.src.startsWith(OPEN, state.pos)) return false;
    const end = state.src.indexOf("]]", state.pos + OPEN.length);
    if (end < 0 || end > state.posMax) return false;
    const ref = parseKernelRef(state.src.slice(state.pos + OPEN.length, end));
    const key = ref.ident ? `${ref.path}#${ref.ident}` : ref.path;
    if (options.checked && !Object.hasOwn(options.checked, key)) {
      throw new Error(`kernel reference "${key}" has not been checked: confirm that ${ref.ident ? `${ref.ident} is defined in ` : ""}${ref.path} exists at ${version}, then add it to CHECKED_KERNEL_REFS in src/md/kernel-refs-checked.ts`);
    }
    if (!silent) {
      const link = (href: string, cls: string, title: string, text: string, code: boolean) => {
        const open = state.push("link_open", "a", 1);
        open.attrs = [["href", href], ["class", cls], ["title", title]];
        const t = state.push(code ? "code_inline" : "text", code ? "code" : "", 0);
        t.content = text;
        state.push("link_close", "a", -1);
      };
      if (ref.ident) {
        link(kernelIdentUrl(ref.ident, version), "kernel-ref kernel-ident", `${ref.ident} in Linux ${version}`, ref.label ?? `${ref.ident}()`, !ref.label);
        const t = state.push("text", "", 0);
        t.content = " in ";
      }
      link(kernelFileUrl(ref.path, version), "kernel-ref kernel-file", `${ref.path} in Linux ${version}`, ref.ident || !ref.label ? ref.path : ref.label, true);
    }
    state.pos = end + 2;
    return true;
  });
}
