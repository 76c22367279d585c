// The kernel links: checked in the 7.3.4 tree, with what 6.12.117 does recorded next to each, and
// pointing at the version the model follows by default.
import { describe, expect, it } from "vitest";
import { CHECKED_KERNEL_REFS, KERNEL_REF_VERSION } from "../../src/md/index.js";
import { DEFAULT_KERNEL_VERSION, KERNEL_SOURCE_CHECKED } from "../../src/mfr/index.js";

describe("CHECKED_KERNEL_REFS", () => {
  it("links point at the default kernel version", () => {
    expect(KERNEL_REF_VERSION).toBe(`v${DEFAULT_KERNEL_VERSION}`);
  });

  it("every note says what the 7.3.4 tree does and what the 6.12.117 tree does", () => {
    for (const [ref, note] of Object.entries(CHECKED_KERNEL_REFS)) {
      expect(note, ref).toContain(KERNEL_SOURCE_CHECKED["7.3"]);
      expect(note, ref).toContain(KERNEL_SOURCE_CHECKED["6.12"]);
      expect(note, ref).not.toMatch(/\bera\b|copy read|roughly/);
    }
  });
});
