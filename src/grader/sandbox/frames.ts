// Length-prefixed messages over two blocking file descriptors (a FIFO pair between the judge and
// the student's process). Blocking reads are what make the bridge synchronous: a call into the
// student's code returns a value, like a local call, instead of a Promise.
import { readSync, writeSync } from "node:fs";
import { MAX_MESSAGE_CHARS, ProtocolError, type SyncTransport } from "./wire.js";

const MAX_BYTES = 4 * MAX_MESSAGE_CHARS;

export interface FdChannelHooks {
  /** Called before a read or write that may block (the judge arms its watchdog here). */
  beforeBlock?(): void;
  afterBlock?(): void;
  /** The other side closed the channel (exited, or was killed). Must throw or exit. */
  onClosed(): never;
}

export class FdChannel implements SyncTransport {
  private buf: Buffer = Buffer.alloc(1 << 16);
  private start = 0;
  private end = 0;

  constructor(private readonly rfd: number, private readonly wfd: number, private readonly hooks: FdChannelHooks) {}

  send(text: string): void {
    const body = Buffer.from(text, "utf8");
    if (body.length > MAX_BYTES) throw new RangeError("a message is too large to send");
    const head = Buffer.alloc(4);
    head.writeUInt32LE(body.length, 0);
    this.hooks.beforeBlock?.();
    try {
      this.writeAll(head);
      this.writeAll(body);
    } finally {
      this.hooks.afterBlock?.();
    }
  }

  receive(): string {
    this.hooks.beforeBlock?.();
    try {
      this.fill(4);
      const n = this.buf.readUInt32LE(this.start);
      if (n > MAX_BYTES) throw new ProtocolError("a message was too large");
      this.fill(4 + n);
      const text = this.buf.toString("utf8", this.start + 4, this.start + 4 + n);
      this.start += 4 + n;
      return text;
    } finally {
      this.hooks.afterBlock?.();
    }
  }

  private writeAll(b: Buffer): void {
    let off = 0;
    while (off < b.length) {
      let n: number;
      try {
        n = writeSync(this.wfd, b, off, b.length - off);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "EAGAIN") continue;
        if (code === "EPIPE" || code === "EBADF" || code === "ECONNRESET") this.hooks.onClosed();
        throw e;
      }
      off += n;
    }
  }

  /** Reads until at least `need` bytes from `start` are buffered. */
  private fill(need: number): void {
    while (this.end - this.start < need) {
      if (this.start + need > this.buf.length) {
        // Compact, and grow when one message is larger than the buffer.
        const size = Math.max(this.buf.length, need);
        const next = size === this.buf.length && this.start > 0 ? this.buf : Buffer.alloc(Math.max(size, this.buf.length * 2));
        this.buf.copy(next, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
        this.buf = next;
      }
      let n: number;
      try {
        n = readSync(this.rfd, this.buf, this.end, this.buf.length - this.end, null);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === "EAGAIN") continue;
        if (code === "EBADF" || code === "ECONNRESET" || code === "EPIPE") this.hooks.onClosed();
        throw e;
      }
      if (n === 0) this.hooks.onClosed();
      this.end += n;
    }
  }
}
