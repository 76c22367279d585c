#!/usr/bin/env node
// Runs the TypeScript CLI (src/cli/main.ts) through tsx, so the CLI always uses the working tree.
// The project is CommonJS (tslab needs it), so register tsx's CommonJS hook.
import { createRequire } from "node:module";
import { register } from "tsx/cjs/api";

register();
const require = createRequire(import.meta.url);
const { main } = require("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
