// Host-side pieces of the kernel lab that need no VM: reading a bzImage's release, a module's
// dependencies, the system's Debian mirror, Debian versions; the agent builds with the system cc.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compareVersions, systemDebianSource } from "../../src/kernel/debian.js";
import { bzImageRelease, modelFor } from "../../src/kernel/kernels.js";
import { modName, moduleDepends } from "../../src/kernel/modules.js";
import { isDynamicElf } from "../../src/kernel/tools.js";
import { buildAgent } from "../../src/kernel/agent.js";

const dir = mkdtempSync(join(tmpdir(), "mfr-lab-host-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("kernel lab: host side", () => {
  it("reads the release from a bzImage's setup header (kernel_version at 0x20E)", () => {
    const img = Buffer.alloc(0x1000);
    img.write("HdrS", 0x202, "latin1");
    img.writeUInt16LE(0x300, 0x20e);
    img.write("7.3.4+deb13-amd64 (debian-kernel@lists.debian.org) #1 SMP\u0000", 0x500, "latin1");
    writeFileSync(join(dir, "bz"), img);
    expect(bzImageRelease(join(dir, "bz"))).toBe("7.3.4+deb13-amd64");
    writeFileSync(join(dir, "notbz"), Buffer.alloc(0x1000));
    expect(bzImageRelease(join(dir, "notbz"))).toBeUndefined();
    expect(modelFor("7.3.4+deb13-amd64")).toBe("7.3");
    expect(modelFor("7.4.1")).toBe("7.3");
    expect(modelFor("6.12.117+deb13-amd64")).toBe("6.12");
    expect(modelFor("7.1.8")).toBe("6.12");
  });

  it("reads a module's depends= and names modules as modprobe does", () => {
    expect(moduleDepends(Buffer.from("\u0000license=GPL\u0000depends=jbd2,crc16,mbcache\u0000intree=Y\u0000", "latin1"))).toEqual(["jbd2", "crc16", "mbcache"]);
    expect(moduleDepends(Buffer.from("\u0000depends=\u0000", "latin1"))).toEqual([]);
    expect(modName("hwpoison-inject.ko.xz")).toBe("hwpoison_inject");
  });

  it("finds the system's Debian mirror in deb822 and one-line sources, skipping security", () => {
    const etc = join(dir, "apt");
    mkdirSync(join(etc, "sources.list.d"), { recursive: true });
    writeFileSync(join(etc, "sources.list.d", "debian.sources"), "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\nSigned-By: /k.gpg\n");
    expect(systemDebianSource(etc)).toEqual({ uri: "http://mirror.example/debian", signedBy: "/k.gpg" });
    const one = join(dir, "apt1");
    mkdirSync(one, { recursive: true });
    writeFileSync(join(one, "sources.list"), "# c\ndeb [signed-by=/x.gpg] http://m.example/debian bookworm main\n");
    expect(systemDebianSource(one)).toEqual({ uri: "http://m.example/debian", signedBy: "/x.gpg" });
    expect(systemDebianSource(join(dir, "none"))).toBeUndefined();
    expect(compareVersions("7.3.10+deb13", "7.3.4+deb13")).toBeGreaterThan(0);
    expect(["6.12.9", "6.12.117", "6.12.107"].sort(compareVersions)).toEqual(["6.12.9", "6.12.107", "6.12.117"]);
  });

  it("builds the in-guest agent statically with the system compiler (cached by source)", () => {
    const bin = buildAgent();
    expect(existsSync(bin)).toBe(true);
    expect(isDynamicElf(bin), "the initramfs has no C library").toBe(false);
    expect(buildAgent()).toBe(bin);
  });
});
