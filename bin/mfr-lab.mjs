#!/usr/bin/env node
// Runs the TypeScript CLI (src/cli/main.ts) through tsx, so the CLI always uses the working tree.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
