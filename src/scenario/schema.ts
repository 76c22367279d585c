// The zod schema of scenario files (format: scenarios/README.md). Strict objects, so a typo
// in a key is an error that names it instead of a silently ignored field.
import { z } from "zod";
import { parseSize } from "../core/units.js";
import { ACTION_PAGE_TYPES, type MfMsg } from "../mfr/constants.js";
import { KERNEL_VERSIONS, type KernelVersion } from "../mfr/kernel-version.js";
import type { ScenarioSpec } from "./types.js";

const SIZE_HINT = 'use bytes or a number with K, M, G or T, e.g. "4K", "2M", "1G"';

/** A size: bytes or "4K"/"2M"/"1G"…; checked with parseSize so the file and the library agree. */
const size = z
  .union([z.string(), z.number()], { error: `expected a size (${SIZE_HINT})` })
  .superRefine((v, ctx) => {
    try {
      parseSize(v);
    } catch {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} is not a size (${SIZE_HINT})` });
    }
  });

const offset = z
  .union([z.literal("random"), z.string(), z.number()], { error: `expected an offset (a size or "random")` })
  .superRefine((v, ctx) => {
    if (v === "random") return;
    try {
      parseSize(v);
    } catch {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} is not an offset (${SIZE_HINT}, or "random")` });
    }
  });

/**
 * Names that are also members of every JavaScript object ("__proto__", "constructor",
 * "toString"…): as keys of a check or of the result they would assert or record nothing.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(["__proto__", "prototype", ...Object.getOwnPropertyNames(Object.prototype)]);
/** Most steps in a scenario, and most processes, memfds or mappings set up. */
export const MAX_STEPS = 100_000;
export const MAX_OBJECTS = 10_000;

const name = z
  .string({ error: "expected a name (a string)" })
  .regex(/^[A-Za-z_][\w.-]*$/, 'a name is letters, digits, "_", "-" or "." and starts with a letter')
  .refine((s) => !RESERVED_NAMES.has(s), { error: (i) => `"${String(i.input)}" is reserved (a member of every JavaScript object): choose another name` });
const hugeSize = z.enum(["2M", "1G"], { error: 'expected "2M" or "1G"' });
const mceKill = z.enum(["default", "early", "late"], { error: 'expected "early", "late" or "default"' });
const count = z.number().int().min(0);
/** "6.12" or "7.3"; YAML reads an unquoted 7.3 as a number, so 7.3 and 6.12 are accepted too. */
const kernelVersion = z.preprocess(
  (v) => (typeof v === "number" ? v.toFixed(2).replace(/0$/, "") : v),
  z.enum(KERNEL_VERSIONS as [KernelVersion, ...KernelVersion[]], { error: `expected a kernel version: ${KERNEL_VERSIONS.map((k) => `"${k}"`).join(" or ")}` }),
);
const pinPolicy = z.enum(["none", "ebusy", "revoke"], { error: 'expected a pin policy: "none", "ebusy" or "revoke"' });
const dmaOutcome = z.enum(["ok", "io-page-fault", "poison", "offlined", "freed"], { error: "expected a DMA outcome: ok, io-page-fault, poison, offlined or freed" });
const invariantName = z.enum([
  "poisoned-frame-allocated", "poisoned-frame-free", "refcount-negative", "frame-accounting", "pte-to-freed-frame",
  "iommu-pin-accounting", "iommu-stale-translation", "dma-to-freed-frame",
], { error: "expected an invariant name (InvariantName in src/mfr/events.ts), e.g. poisoned-frame-free" });
const mfMsg = z.enum(Object.keys(ACTION_PAGE_TYPES) as [MfMsg, ...MfMsg[]], { error: "expected an MF_MSG_* name, e.g. MF_MSG_HUGE" });
const mfResult = z.enum(["MF_IGNORED", "MF_FAILED", "MF_DELAYED", "MF_RECOVERED"]);

export const MachineSchema = z.strictObject({
  memory: size,
  kernel: kernelVersion.optional(),
  arch: z.enum(["x86", "arm64"], { error: 'expected "x86" or "arm64"' }).optional(),
  panicOnUnrecoverableMemoryFailure: z.boolean().optional(),
  reserved: size.optional(),
  hugetlb: z.strictObject({ "2M": count.optional(), "1G": count.optional() }).optional(),
  hvo: z.boolean().optional(),
  hvoRestoreFails: z.boolean().optional(),
  rawHwpAllocFails: z.boolean().optional(),
  earlyKill: z.boolean().optional(),
  enableSoftOffline: z.boolean().optional(),
  memoryFailureRecovery: z.boolean().optional(),
  policyVariant: z.enum(["v1", "v1-buggy", "v2"], { error: 'expected "v1", "v1-buggy" or "v2"' }).optional(),
  killOnUnmapFailure: z.enum(["sigbus", "sigkill"]).optional(),
  unmapFails: z.boolean().optional(),
  freeHasHwpoisoned: z.boolean().optional(),
  recordEvents: z.boolean().optional(),
  checkEveryStep: z.boolean().optional(),
  offlinePinned: z.enum(["try", "ebusy"], { error: 'expected "try" or "ebusy"' }).optional(),
});

const processSpec = z.union([name, z.strictObject({ name, mceKill: mceKill.optional(), capSysAdmin: z.boolean().optional() })], { error: "expected a process name, or { name, mceKill?, capSysAdmin? }" });

/** `file:` is another name for `memfd:` (an open file by name): steps that take one accept either. */
function fileAlias<T extends z.ZodType>(schema: T): z.ZodType<z.output<T>> {
  return z.preprocess((v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v) || !("file" in v)) return v;
    const { file, ...rest } = v as Record<string, unknown>;
    return "memfd" in rest ? v : { ...rest, memfd: file };
  }, schema) as unknown as z.ZodType<z.output<T>>;
}
const fileFields = { process: name, size, sharedWith: z.array(name).optional() };

const memfdFields = {
  process: name,
  size,
  hugetlb: hugeSize.optional(),
  keepUeMapped: z.boolean().optional(),
  thp: z.boolean().optional(),
  sharedWith: z.array(name).optional(),
};
const mappingFields = {
  process: name,
  memfd: name.optional(),
  length: size.optional(),
  offset: size.optional(),
  thp: z.boolean().optional(),
  hugetlb: hugeSize.optional(),
  populate: z.boolean().optional(),
};
const targetFields = {
  previous: z.literal(true).optional(),
  pfn: z.number().int().min(0).optional(),
  mapping: name.optional(),
  offset: offset.optional(),
  pool: z.enum(["buddy", "hugetlb-2M", "hugetlb-1G", "kernel"]).optional(),
  page: z.union([z.number().int().min(0), z.literal("random")]).optional(),
};
const note = { note: z.string().optional() };

/** Exactly one of pfn, mapping, pool, previous; offset only with mapping, page only with pool. */
function checkTarget(t: { pfn?: number; mapping?: string; pool?: string; previous?: true; offset?: unknown; page?: unknown }, ctx: z.RefinementCtx): void {
  const given = (["pfn", "mapping", "pool", "previous"] as const).filter((k) => t[k] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({ code: "custom", path: [], message: `name exactly one page: pfn, mapping (+ offset), pool (+ page) or previous; got ${given.length ? given.join(" and ") : "none"}` });
  }
  if (t.offset !== undefined && t.mapping === undefined) ctx.addIssue({ code: "custom", path: ["offset"], message: "offset needs a mapping" });
  if (t.page !== undefined && t.pool === undefined) ctx.addIssue({ code: "custom", path: ["page"], message: "page needs a pool" });
}

const signalCheck = z.union([
  z.strictObject({ process: name, none: z.literal(true) }),
  z.strictObject({
    process: name,
    sig: z.enum(["SIGBUS", "SIGKILL"]).optional(),
    code: z.enum(["BUS_MCEERR_AR", "BUS_MCEERR_AO"]).nullable().optional(),
    lsb: z.number().int().optional(),
    offset: size.optional(),
  }),
], { error: "expected { process, sig?, code?, lsb?, offset? } or { process, none: true }" });

const checkFields = {
  last: z.strictObject({ ret: z.number().int().optional(), type: mfMsg.optional(), result: mfResult.optional() }).optional(),
  access: z.enum(["ok", "sigbus", "sigsegv", "killed"]).optional(),
  signal: signalCheck.optional(),
  signalCount: z.strictObject({ process: name, count }).optional(),
  // Keys are process names: checked like every name, so "__proto__" is an error, not a no-op.
  alive: z.record(name, z.boolean({ error: "expected true or false" })).optional(),
  hugetlb: z.strictObject({
    "2M": z.strictObject({ nr: count.optional(), free: count.optional() }).optional(),
    "1G": z.strictObject({ nr: count.optional(), free: count.optional() }).optional(),
  }).optional(),
  summary: z.strictObject({
    poisoned: count.optional(), offlined: count.optional(), leaked: count.optional(), free: count.optional(),
    inUse: count.optional(), hugetlbFree: count.optional(), numPoisonedPages: count.optional(),
  }).optional(),
  violations: z.array(invariantName).optional(),
  counters: z.strictObject({
    hardwareCorrupted: size.optional(), total: count.optional(), ignored: count.optional(), failed: count.optional(), delayed: count.optional(), recovered: count.optional(),
  }).optional(),
  page: z.strictObject({
    mapping: name, offset: size.optional(), state: z.enum(["present", "hwpoison", "none"], { error: 'expected "present", "hwpoison" or "none"' }).optional(), moved: z.boolean().optional(),
  }).optional(),
  ret: z.number().int().optional(),
  dma: dmaOutcome.optional(),
  pins: z.strictObject({
    pinned: size.optional(), heldBack: size.optional(), pending: size.optional(), leaked: size.optional(),
    dmas: count.optional(), dmaToPoison: count.optional(), dmaToOffline: count.optional(), ioPageFaults: count.optional(),
    invalidations: count.optional(), revokes: count.optional(),
  }).optional(),
  accounting: z.strictObject({ process: name, userLockedVm: size.optional(), mmLockedVm: size.optional(), pinnedVm: size.optional() }).optional(),
};


/** An IOVA range: an area (by name) or iova (+ length). */
function checkRange(t: { area?: string; iova?: unknown; length?: unknown }, ctx: z.RefinementCtx): void {
  if ((t.area === undefined) === (t.iova === undefined)) ctx.addIssue({ code: "custom", path: [], message: `name the range by area or by iova (+ length), not ${t.area === undefined ? "neither" : "both"}` });
  if (t.area !== undefined && t.length !== undefined) ctx.addIssue({ code: "custom", path: ["length"], message: "an area has its own length; give length only with iova" });
  if (t.iova !== undefined && t.length === undefined) ctx.addIssue({ code: "custom", path: ["length"], message: "an iova range needs a length" });
}

const at = { mapping: name, offset: offset.optional() };
const atFixed = { mapping: name, offset: size.optional() };

export const StepSchema = fileAlias(z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("spawn"), process: name, capSysAdmin: z.boolean().optional(), ...note }),
  z.strictObject({ op: z.literal("prctl"), process: name, mceKill, ...note }),
  z.strictObject({ op: z.literal("memfd"), name, ...memfdFields, ...note }),
  z.strictObject({ op: z.literal("share"), memfd: name, from: name.optional(), to: name, ...note }),
  z.strictObject({ op: z.literal("file"), name, ...fileFields, ...note }),
  z.strictObject({ op: z.literal("pread"), memfd: name, offset: size.optional(), length: size, process: name.optional(), ...note }),
  z.strictObject({ op: z.literal("pwrite"), memfd: name, offset: size.optional(), length: size, process: name.optional(), ...note }),
  z.strictObject({ op: z.literal("fsync"), memfd: name, process: name.optional(), ...note }),
  z.strictObject({ op: z.literal("mmap"), name, ...mappingFields, ...note }),
  z.strictObject({ op: z.literal("munmap"), mapping: name, ...note }),
  z.strictObject({ op: z.literal("touch"), ...at, ...note }),
  z.strictObject({ op: z.literal("write"), ...at, ...note }),
  z.strictObject({ op: z.literal("read"), ...at, ...note }),
  z.strictObject({ op: z.literal("populate"), mapping: name, offset: size.optional(), length: size.optional(), ...note }),
  z.strictObject({ op: z.literal("poison"), ...targetFields, actionRequired: z.boolean().optional(), current: name.optional(), swSimulated: z.boolean().optional(), ...note }).superRefine(checkTarget),
  z.strictObject({ op: z.literal("madvise"), ...at, advice: z.enum(["hwpoison", "soft-offline"], { error: 'expected "hwpoison" (MADV_HWPOISON) or "soft-offline" (MADV_SOFT_OFFLINE)' }).optional(), ...note }),
  z.strictObject({ op: z.literal("pin"), ...atFixed, ...note }),
  z.strictObject({ op: z.literal("unpin"), ...atFixed, ...note }),
  z.strictObject({ op: z.literal("truncate"), memfd: name, size, process: name.optional(), ...note }),
  z.strictObject({ op: z.literal("punch-hole"), memfd: name, offset: size, length: size, process: name.optional(), ...note }),
  z.strictObject({ op: z.literal("close"), memfd: name, process: name.optional(), ...note }),
  z.strictObject({ op: z.literal("exit"), process: name, ...note }),
  z.strictObject({ op: z.literal("unpoison"), ...targetFields, ...note }).superRefine(checkTarget),
  z.strictObject({ op: z.literal("soft-offline"), ...targetFields, ...note }).superRefine(checkTarget),
  z.strictObject({
    op: z.literal("iommufd"), name, process: name, policy: pinPolicy.optional(), revokeOnPoison: z.boolean().optional(),
    accountMode: z.enum(["user", "mm"], { error: 'expected "user" or "mm"' }).optional(), iotlbEntries: z.number().int().min(1).max(65536).optional(), ...note,
  }),
  z.strictObject({ op: z.literal("ioas"), name, iommufd: name, ...note }),
  z.strictObject({ op: z.literal("attach"), device: name, ioas: name.optional(), vfio: name.optional(), ...note }).superRefine((t, ctx) => {
    if ((t.ioas === undefined) === (t.vfio === undefined)) ctx.addIssue({ code: "custom", path: [], message: "attach to exactly one of ioas or vfio" });
  }),
  z.strictObject({ op: z.literal("map"), ioas: name, mapping: name, offset: size.optional(), length: size.optional(), iova: size.optional(), name: name.optional(), ...note }),
  z.strictObject({ op: z.literal("map-file"), ioas: name, memfd: name, process: name.optional(), start: size.optional(), length: size.optional(), iova: size.optional(), name: name.optional(), ...note }),
  z.strictObject({ op: z.literal("ioas-unmap"), ioas: name, area: name.optional(), iova: size.optional(), length: size.optional(), ...note }).superRefine(checkRange),
  z.strictObject({ op: z.literal("ioas-copy"), from: name, area: name, to: name, iova: size.optional(), name: name.optional(), ...note }),
  z.strictObject({ op: z.literal("dma"), device: name, area: name.optional(), offset: size.optional(), iova: size.optional(), read: z.boolean().optional(), ...note }).superRefine((t, ctx) => {
    if ((t.area === undefined) === (t.iova === undefined)) ctx.addIssue({ code: "custom", path: [], message: `name the target by area (+ offset) or by iova, not ${t.area === undefined ? "neither" : "both"}` });
    if (t.offset !== undefined && t.area === undefined) ctx.addIssue({ code: "custom", path: ["offset"], message: "offset needs an area" });
  }),
  z.strictObject({ op: z.literal("iommufd-close"), iommufd: name, ...note }),
  z.strictObject({ op: z.literal("vfio"), name, process: name, ...note }),
  z.strictObject({ op: z.literal("vfio-map"), vfio: name, mapping: name, offset: size.optional(), length: size.optional(), iova: size, name: name.optional(), ...note }),
  z.strictObject({ op: z.literal("vfio-unmap"), vfio: name, area: name.optional(), iova: size.optional(), length: size.optional(), ...note }).superRefine(checkRange),
  z.strictObject({ op: z.literal("vfio-close"), vfio: name, ...note }),
  z.strictObject({ op: z.literal("memlock"), process: name, limit: z.union([z.literal("unlimited"), size]).optional(), capIpcLock: z.boolean().optional(), ...note }),
  z.strictObject({ op: z.literal("check"), ...checkFields, ...note }),
]));

export const ScenarioSchema = z.strictObject({
  name: z.string({ error: "expected the scenario's name (a string)" }).min(1),
  description: z.string().optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  machine: MachineSchema,
  processes: z.array(processSpec).max(MAX_OBJECTS, { error: `at most ${MAX_OBJECTS} processes` }).optional(),
  memfds: z.array(z.strictObject({ name, ...memfdFields })).max(MAX_OBJECTS, { error: `at most ${MAX_OBJECTS} memfds` }).optional(),
  files: z.array(z.strictObject({ name, ...fileFields })).max(MAX_OBJECTS, { error: `at most ${MAX_OBJECTS} files` }).optional(),
  mappings: z.array(fileAlias(z.strictObject({ name, ...mappingFields }))).max(MAX_OBJECTS, { error: `at most ${MAX_OBJECTS} mappings` }).optional(),
  steps: z.array(StepSchema).max(MAX_STEPS, { error: `at most ${MAX_STEPS.toLocaleString("en-US")} steps: split the scenario` }),
  expectViolations: z.array(invariantName).optional(),
  expectPanic: z.boolean().optional(),
  decidedBy: z.array(z.string().regex(/^[\w./-]+#\w+$/, "expected a kernel function as path#function, e.g. mm/memory-failure.c#me_huge_page")).optional(),
});

/**
 * The schema's output as the documented ScenarioSpec. A cast, because tslab compiles without
 * strictNullChecks, where zod infers every field as optional; schema-check.ts (never imported,
 * so only the strict `tsc -p tsconfig.json` sees it) proves the two types agree.
 */
export const asSpec = (p: unknown): ScenarioSpec => p as ScenarioSpec;

/**
 * The first key anywhere in parsed scenario data that is a reserved name, as a path
 * ("steps[0].alive.__proto__"), or null. Checked before the schema, which silently drops a
 * "__proto__" key (so a check naming it would assert nothing).
 */
export function reservedKeyPath(data: unknown, path: (string | number)[] = [], depth = 0): (string | number)[] | null {
  if (data === null || typeof data !== "object" || depth > 64) return null;
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      const p = reservedKeyPath(data[i], [...path, i], depth + 1);
      if (p) return p;
    }
    return null;
  }
  for (const k of Object.keys(data)) {
    if (RESERVED_NAMES.has(k)) return [...path, k];
    const p = reservedKeyPath((data as Record<string, unknown>)[k], [...path, k], depth + 1);
    if (p) return p;
  }
  return null;
}

/** "steps[3].size" from a path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let where = "";
  for (const k of path) where += typeof k === "number" ? `[${k}]` : where ? `.${String(k)}` : String(k);
  return where;
}

/** One schema problem as "steps[3].size: "12Q" is not a size (…)". */
export function formatIssue(issue: { path: PropertyKey[]; message: string; code?: string; keys?: string[]; issues?: { message: string }[] }): string {
  const where = formatPath(issue.path);
  let msg = issue.message;
  if (issue.code === "invalid_key" && issue.issues?.[0]) msg = issue.issues[0].message;
  if (issue.code === "unrecognized_keys" && issue.keys) msg = `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  if (issue.code === "invalid_union" && /discriminator/i.test(msg)) msg = `unknown op (use one of ${STEP_OPS.join(", ")})`;
  return where ? `${where}: ${msg}` : msg;
}

export const STEP_OPS = [
  "spawn", "prctl", "memfd", "share", "file", "pread", "pwrite", "fsync", "mmap", "munmap", "touch", "write", "read", "populate", "poison", "madvise",
  "pin", "unpin", "truncate", "punch-hole", "close", "exit", "unpoison", "soft-offline",
  "iommufd", "ioas", "attach", "map", "map-file", "ioas-unmap", "ioas-copy", "dma", "iommufd-close",
  "vfio", "vfio-map", "vfio-unmap", "vfio-close", "memlock", "check",
] as const;
