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
