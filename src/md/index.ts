// markdown-it plugins of the course site: browser-safe, no Node imports, unit-tested in test/site.
export * from "./kernel-ref.js";
export * from "./lkml-ref.js";
export * from "./lib-value.js";
export * from "./exercise-container.js";
export * from "./kernel-refs-checked.js";
export * from "./glossary-link.js";
