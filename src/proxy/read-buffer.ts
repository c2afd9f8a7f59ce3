/**
 * One read buffer for every socket the proxy opens itself (server connections in
 * http1/server-pool.ts, upstream sockets in tcp.ts), through net.connect's `onread`
 * option: the bytes of a read land in this buffer and are handed over synchronously,
 * instead of Node allocating a 64 KiB buffer per read and pushing it through a readable
 * stream (a nextTick and stream bookkeeping per read). Reads are dispatched one at a time
 * on the event loop, so one buffer serves every socket; what a read hands over is valid
 * only until the handler returns, so anything kept or written must be copied (keep()).
 */
const READ_BYTES = 64 * 1024;

export const sharedReadBuffer: Buffer = Buffer.allocUnsafe(READ_BYTES);

/** A copy of `view` (bytes of the shared read buffer) that outlives the read. */
export function keep(view: Buffer): Buffer {
  // Buffer.from slices Node's 8 KiB pool for small copies: no allocation of its own.
  return Buffer.from(view);
}

/** Reads under this size that must wait in a write queue are copied rather than handed over. */
const SMALL_READ = 4096;

/** What OwnReadBuffer writes to: a socket (net.Socket). */
export interface ByteSink {
  readonly writableLength: number;
  write(bytes: Buffer): boolean;
}

/**
 * A socket's own read buffer, for bytes written on as they came (tcp.ts): given to
 * net.connect as `onread: { buffer: reads.next, … }`, which Node calls before the first
 * read and after each. A read written out at once costs no copy and the buffer is read
 * into again. When the write had to wait in the sink's queue, a large read's buffer
 * goes with it and the next read gets a fresh one (as Node's own reads do), and a small
 * read is copied instead so that a queued chunk does not hold 64 KiB.
 */
export class OwnReadBuffer {
  private buf?: Buffer;

  readonly next = (): Buffer => (this.buf ??= Buffer.allocUnsafe(READ_BYTES));

  /** Writes the `n` bytes of the last read to `sink`; returns write()'s answer. */
  writeTo(sink: ByteSink, n: number): boolean {
    const view = this.next().subarray(0, n);
    if (sink.writableLength > 0 && n < SMALL_READ) return sink.write(Buffer.from(view));
    const flowing = sink.write(view);
    // Still queued: the sink holds `view` until it is written, so the buffer is its now.
    if (sink.writableLength > 0) this.buf = undefined;
    return flowing;
  }
}
