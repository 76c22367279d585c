// What Node's permission model (Node 20–22) leaves open to the student's process, closed before
// the student's module loads: signals to other processes (process.kill reaches any process of the
// user, a JupyterLab included) and sockets. Sockets could never connect while the process serves
// the judge synchronously, but a host name is resolved on libuv's thread pool, which runs anyway.
// The replacements can be neither reassigned nor deleted, and builtins are singletons, so
// process.getBuiltinModule() and require() hand out the closed versions too.
// The modules' own export objects (not namespace copies), so that every importer sees the change.
import dgram = require("node:dgram");
import dns = require("node:dns");
import nodeModule = require("node:module");
import net = require("node:net");

const WHY = "is not available while grading: your code gets no network and no signals to other processes";

function lock(obj: object, key: string, what: string): void {
  const denied = function denied(): never {
    throw new Error(`${what} ${WHY}`);
  };
  Object.defineProperty(obj, key, { value: denied, writable: false, configurable: false, enumerable: false });
}

function lockFunctions(obj: object, what: string): void {
  const o = obj as Record<string, unknown>;
  for (const k of Object.getOwnPropertyNames(o)) {
    if (k !== "constructor" && typeof o[k] === "function") lock(o, k, `${what}.${k}`);
  }
}

export function closeDoors(): void {
  lock(process, "kill", "process.kill");
  lock(process, "_kill", "process._kill");
  lock(net.Socket.prototype, "connect", "net.Socket#connect");
  lock(net.Server.prototype, "listen", "net.Server#listen");
  for (const k of ["bind", "connect", "send"]) lock(dgram.Socket.prototype, k, `dgram.Socket#${k}`);
  for (const resolver of [dns.Resolver.prototype, dns.promises.Resolver.prototype]) lockFunctions(resolver, "dns.Resolver");
  lockFunctions(dns.promises, "dns.promises");
  lockFunctions(dns, "dns");
  nodeModule.syncBuiltinESMExports();
}
