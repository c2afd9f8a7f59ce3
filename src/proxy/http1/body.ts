/**
 * Where a message body ends, for bodies forwarded as the bytes they arrived in: a
 * Content-Length counts down; a chunked body is walked (sizes, data, CRLFs, trailers)
 * without being decoded, so the next message on the connection starts at the right byte
 * and a malformed chunk is caught; a close-delimited body ends with the connection.
 */
import { CR, LF } from './chars.js';

const enum Chunk {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  FinalLf,
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Larger chunk sizes are refused (Node's parser refused sizes past 2^53 too). */
const MAX_CHUNK = 2 ** 48;

export class BodyFramer {
  /** The body is complete: the bytes after it belong to the next message. */
  done = true;
  private kind: 'length' | 'chunked' | 'close' = 'length';
  private remaining = 0;
  private state = Chunk.Size;
  private sizeDigits = 0;

  /** length ≥ 0: that many bytes; 'chunked'; 'close': until the connection ends. */
  reset(kind: 'length' | 'chunked' | 'close', length = 0): void {
    this.kind = kind;
    this.remaining = kind === 'length' ? length : 0;
    this.state = Chunk.Size;
    this.sizeDigits = 0;
    this.done = kind === 'length' && length === 0;
  }

  /**
   * Consumes buf[start, end): returns how many of those bytes belong to the body (all of
   * them unless it ends inside), or -1 when a chunked body is malformed.
   */
  feed(buf: Buffer, start: number, end: number): number {
    if (this.done) return 0;
    if (this.kind === 'close') return end - start;
    if (this.kind === 'length') {
      const n = Math.min(this.remaining, end - start);
      this.remaining -= n;
      if (this.remaining === 0) this.done = true;
      return n;
    }
    return this.walkChunks(buf, start, end);
  }

  private walkChunks(buf: Buffer, start: number, end: number): number {
    let pos = start;
    while (pos < end) {
      const b = buf[pos]!;
      switch (this.state) {
        case Chunk.Size: {
          const h = hexValue(b);
          if (h >= 0) {
            this.remaining = this.remaining * 16 + h;
            if (this.remaining > MAX_CHUNK) return -1;
            this.sizeDigits++;
          } else if (this.sizeDigits === 0) return -1;
          else if (b === CR) this.state = Chunk.SizeLf;
          else if (b === 0x3b || b === 0x20 || b === 0x09) this.state = Chunk.Extension;
          else return -1;
          pos++;
          break;
        }
        case Chunk.Extension:
          if (b === CR) this.state = Chunk.SizeLf;
          else if (b === LF) return -1;
          pos++;
          break;
        case Chunk.SizeLf:
          if (b !== LF) return -1;
          pos++;
          this.sizeDigits = 0;
          this.state = this.remaining === 0 ? Chunk.TrailerStart : Chunk.Data;
          break;
        case Chunk.Data: {
          const n = Math.min(this.remaining, end - pos);
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) this.state = Chunk.DataCr;
          break;
        }
        case Chunk.DataCr:
          if (b !== CR) return -1;
          this.state = Chunk.DataLf;
          pos++;
          break;
        case Chunk.DataLf:
          if (b !== LF) return -1;
          this.state = Chunk.Size;
          pos++;
          break;
        case Chunk.TrailerStart:
          // An empty line ends the body; anything else is a trailer field line.
          this.state = b === CR ? Chunk.FinalLf : Chunk.Trailer;
          if (b === LF) return -1;
          pos++;
          break;
        case Chunk.Trailer:
          if (b === CR) this.state = Chunk.TrailerLf;
          else if (b === LF) return -1;
          pos++;
          break;
        case Chunk.TrailerLf:
          if (b !== LF) return -1;
          this.state = Chunk.TrailerStart;
          pos++;
          break;
        case Chunk.FinalLf:
          if (b !== LF) return -1;
          pos++;
          this.done = true;
          return pos - start;
      }
    }
    return pos - start;
  }
}
