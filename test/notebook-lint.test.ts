// The tslab pitfall, checked statically: in this kernel an object shorthand naming a variable from
// an earlier cell (`{ reach }`) fails with ReferenceError (tslab rewrites top-level declarations
// into exports; the shorthand is not rewritten). No course cell may contain one, every notebook
// warns about it before its first code cell, and every "Try it" cell keeps its parameters inside.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const DIR = join(__dirname, "..", "notebooks");
const notebooks = readdirSync(DIR).filter((f) => f.endsWith(".ipynb") && !f.includes(".executed.")).sort();

interface Cell { cell_type: string; id?: string; source: string[] | string }
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);

/** Names a cell declares at its top level (what tslab turns into exports). */
function topLevelNames(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const bind = (n: ts.BindingName) => {
    if (ts.isIdentifier(n)) names.add(n.text);
    else for (const e of n.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
  };
  for (const s of sf.statements) {
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) bind(d.name);
    else if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isEnumDeclaration(s)) && s.name) names.add(s.name.text);
    else if (ts.isImportDeclaration(s) && s.importClause) {
      const c = s.importClause;
      if (c.name) names.add(c.name.text);
      const b = c.namedBindings;
      if (b && ts.isNamespaceImport(b)) names.add(b.name.text);
      if (b && ts.isNamedImports(b)) for (const e of b.elements) names.add(e.name.text);
    }
  }
  return names;
}

/** Every identifier the cell declares anywhere (parameters, locals), to skip shadowed names. */
function declaredAnywhere(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node) => {
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n)) && ts.isIdentifier(n.name)) names.add(n.name.text);
    if ((ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) && n.name) names.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return names;
}

function shorthandTraps(cells: string[]): string[] {
  const earlier = new Set<string>();
  const found: string[] = [];
  cells.forEach((src, i) => {
    const sf = ts.createSourceFile(`cell${i}.ts`, src, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    const local = declaredAnywhere(sf);
    const visit = (n: ts.Node) => {
      if (ts.isShorthandPropertyAssignment(n) && earlier.has(n.name.text) && !local.has(n.name.text)) {
        const { line } = sf.getLineAndCharacterOfPosition(n.getStart());
        found.push(`code cell ${i + 1}, line ${line + 1}: { ${n.name.text} } names a variable of an earlier cell — write { ${n.name.text}: ${n.name.text} }`);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    for (const name of topLevelNames(sf)) earlier.add(name);
  });
  return found;
}

describe("notebooks: the tslab shorthand pitfall", () => {
  it("the checker finds the trap (a cell using { reach } after another cell declared reach)", () => {
    expect(shorthandTraps(["const reach = 1;", "console.log({ reach });"])).toHaveLength(1);
    expect(shorthandTraps(["const reach = 1; console.log({ reach });"]), "inside one cell it works").toEqual([]);
    expect(shorthandTraps(["const reach = 1;", "const f = (reach: number) => ({ reach });"]), "a parameter shadows it").toEqual([]);
  });

  it.each(notebooks)("%s: no cell falls into it, the first cells warn about it, Try-it cells keep their parameters inside", (nb) => {
    const cells = (JSON.parse(readFileSync(join(DIR, nb), "utf8")) as { cells: Cell[] }).cells;
    const code = cells.filter((c) => c.cell_type === "code").map(text);
    expect(shorthandTraps(code), nb).toEqual([]);
    const firstCode = cells.findIndex((c) => c.cell_type === "code");
    const warning = cells.slice(0, firstCode).map(text).join("\n");
    expect(warning, "a markdown cell before the first code cell warns about the pitfall").toContain("{ reach: reach }");
    const tries = code.filter((s) => s.startsWith("// Try it"));
    expect(tries.length, "a Try-it cell to experiment in").toBeGreaterThan(0);
    for (const t of tries) expect(t, "the Try-it cell says its parameters are named inside it").toContain("Every parameter is named in this cell");
  });
});
