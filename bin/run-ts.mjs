#!/usr/bin/env node
// Runs a TypeScript script (e.g. scripts/bench.ts) through tsx: node bin/run-ts.mjs FILE [ARGS]
import { register } from "tsx/esm/api";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: node bin/run-ts.mjs FILE.ts [ARGS]\n");
  process.exit(2);
}
process.argv = [process.argv[0], resolve(file), ...rest];
register();
await import(pathToFileURL(resolve(file)).href);
