// `npm run docs` (the VitePress dev server, live reload) and `npm run docs:preview` (the built
// site): on 127.0.0.1 only, in this process, so a SIGINT, SIGTERM or SIGHUP, or the end of
// the npm process that started it, ends the server and everything it started.
//   node scripts/docs.mjs dev|preview [--port N] [--base /path/]
// VitePress 1.6's `preview` ignores --host: its serve() calls listen(port) with no address, which
// binds every interface. Here the address is given to listen() whatever serve() passes.
import http from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./setup.mjs";
import { endWithParent } from "./signals.mjs";

const HOST = "127.0.0.1";
let args;
try {
  args = parseArgs({ allowPositionals: true, options: { port: { type: "string" }, base: { type: "string" } } });
} catch (e) {
  process.stderr.write(`docs: ${e.message}\nusage: node scripts/docs.mjs dev|preview [--port N] [--base /path/]\n`);
  process.exit(2);
}
const mode = args.positionals[0];
const port = args.values.port === undefined ? undefined : Number(args.values.port);
if ((mode !== "dev" && mode !== "preview") || args.positionals.length !== 1 || (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))) {
  process.stderr.write("docs: usage: node scripts/docs.mjs dev|preview [--port N (1-65535)] [--base /path/]\n");
  process.exit(2);
}

const { createServer, serve } = await import("vitepress");
const root = join(ROOT, "docs");
let close = async () => {};

if (mode === "dev") {
  const server = await createServer(root, { host: HOST, ...(port ? { port } : {}), ...(args.values.base ? { base: args.values.base } : {}) });
  await server.listen();
  server.printUrls();
  close = () => server.close();
} else {
  const listen = http.Server.prototype.listen;
  let bound;
  http.Server.prototype.listen = function (...a) {
    // listen(port, cb) → listen(port, HOST, cb): only loopback, whatever the caller asked for.
    if (typeof a[0] === "number" || typeof a[0] === "string") a.splice(1, typeof a[1] === "string" ? 1 : 0, HOST);
    else if (a[0] && typeof a[0] === "object") a[0] = { ...a[0], host: HOST };
    bound = this;
    return listen.apply(this, a);
  };
  try {
    await serve({ root, port: port ?? 4173, ...(args.values.base ? { base: args.values.base } : {}) });
  } finally {
    http.Server.prototype.listen = listen;
  }
  process.stderr.write(`[mfr-lab] the built site is served on ${HOST} only\n`);
  close = () => new Promise((r) => (bound ? bound.close(() => r()) : r()));
}

endWithParent(async () => {
  await Promise.race([close(), new Promise((r) => setTimeout(r, 2000))]);
});
