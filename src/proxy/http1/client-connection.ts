/**
 * One client connection in `mode http`: request heads parsed as they arrive (several may
 * be pipelined), each handed to the frontend's decision (HttpFrontend.serve), its body
 * walked (body.ts) and passed to the exchange, the response written back, then the next
 * request, or the end of the connection when either side asked for it. Works on any
 * net.Socket, TLS sockets included. Timers: `timeout http-request` for a head that does
 * not finish (408), the keep-alive wait between requests, and `timeout client` as the
 * socket's inactivity limit (both checked by HttpFrontend's sweep, see http.ts).
 */
import type net from 'node:net';
import { errorResponse, rawErrorResponse } from '../http-errors.js';
import { BodyFramer } from './body.js';
import type { Exchange, ExchangeClient } from './exchange.js';
import { HeaderLines } from './header-lines.js';
import { findHeadEnd, MAX_HEAD_BYTES, parseRequestHead, type RequestHead } from './request-head.js';

/** What the connection needs from its frontend (http.ts). */
export interface ConnectionOwner {
  /** Decides on a request: answers it itself, or returns the exchange that carries it. */
  serve(conn: ClientConnection, head: RequestHead, buf: Buffer, lines: HeaderLines, firstBody: Buffer | undefined, bodyDone: boolean): Exchange | undefined;
  badRequest(status: number): void;
  responded(status: number): void;
  closed(conn: ClientConnection): void;
}

const enum State {
  /** Waiting for, or reading, a request head. */
  Head,
  /** Passing the request body on. */
  Body,
  /** The request is in; waiting for the response to finish. */
  Wait,
  /** Ending: nothing more is read or answered. */
  Closing,
}

const CLIENT = Symbol('haplab.client');
type Tagged = net.Socket & { [CLIENT]?: ClientConnection };

export class ClientConnection implements ExchangeClient {
  private state = State.Head;
  private buf?: Buffer;
  private scanned = 0;
  private readonly lines = new HeaderLines();
  private readonly framer = new BodyFramer();
  private exchange?: Exchange;
  private current?: RequestHead;
  private parsing = false;
  private paused = false;
  private clientEnded = false;
  /** ms timestamps read by the sweep; 0 when not waiting. */
  headStartedAt: number;
  idleSince = 0;
  readonly localPort: number;
  /** The client's address and whether it came over TLS: read once, used by every request. */
  readonly remoteAddress: string;
  readonly tls: boolean;

  constructor(
    readonly socket: Tagged,
    private readonly owner: ConnectionOwner,
    clientTimeout: number,
  ) {
    this.localPort = socket.localPort ?? 80;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.tls = (socket as net.Socket & { encrypted?: boolean }).encrypted === true;
    // Node's server timed the first head from the connection on.
    this.headStartedAt = Date.now();
    socket[CLIENT] = this;
    if (clientTimeout) socket.setTimeout(clientTimeout);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.on('drain', onDrain);
    socket.on('timeout', onTimeout);
  }

  get waitingForHead(): boolean {
    return this.state === State.Head;
  }

  data(chunk: Buffer): void {
    switch (this.state) {
      case State.Head:
        this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
        this.parseHeads();
        return;
      case State.Body:
        this.bodyBytes(chunk, 0);
        return;
      case State.Wait:
        // A pipelined request: kept until the response before it is out.
        this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
        if (this.buf.length > MAX_HEAD_BYTES) this.pauseReading();
        return;
      case State.Closing:
        return;
    }
  }

  private parseHeads(): void {
    if (this.parsing) return;
    this.parsing = true;
    try {
      while (this.state === State.Head && this.buf && this.nextHead(this.buf));
    } finally {
      this.parsing = false;
    }
  }

  /** Takes one request from the front of `buf`; false when more bytes are needed. */
  private nextHead(buf: Buffer): boolean {
    const end = findHeadEnd(buf, this.scanned);
    if (end === 'incomplete') {
      this.scanned = buf.length;
      if (this.headStartedAt === 0) this.headStartedAt = Date.now();
      this.idleSince = 0;
      return false;
    }
    if (end === 'bad') return this.refuse(400);
    this.scanned = 0;
    this.headStartedAt = 0;
    this.idleSince = 0;
    const head = parseRequestHead(buf, end, this.lines);
    if (head === 'bad') return this.refuse(400);
    const framer = this.framer;
    if (head.chunked) framer.reset('chunked');
    else framer.reset('length', head.contentLength > 0 ? head.contentLength : 0);
    const n = framer.feed(buf, end, buf.length);
    if (n < 0) return this.refuse(400);
    const firstBody = n > 0 ? buf.subarray(end, end + n) : undefined;
    this.buf = end + n < buf.length ? buf.subarray(end + n) : undefined;
    this.current = head;
    this.state = framer.done ? State.Wait : State.Body;
    const exchange = this.owner.serve(this, head, buf, this.lines, firstBody, framer.done);
    if (exchange) {
      this.exchange = exchange;
      exchange.start();
    }
    return true;
  }

  private bodyBytes(chunk: Buffer, start: number): void {
    const n = this.framer.feed(chunk, start, chunk.length);
    if (n < 0) {
      // A malformed chunk: 400 while nothing was answered yet, else the connection is cut.
      const exchange = this.exchange;
      this.exchange = undefined;
      const answered = exchange?.responseStarted ?? false;
      exchange?.clientClosed();
      if (answered) this.cut();
      else this.refuse(400);
      return;
    }
    const last = this.framer.done;
    if (last) this.state = State.Wait;
    const data = start === 0 && n === chunk.length ? chunk : chunk.subarray(start, start + n);
    if (start + n < chunk.length) this.buf = chunk.subarray(start + n);
    this.exchange?.requestBody(data, last);
  }

  /** The proxy's own answer to a head it refuses; the connection ends after it. */
  private refuse(status: number): false {
    this.owner.badRequest(status);
    this.closeWith(rawErrorResponse(status));
    return false;
  }

  private closeWith(bytes: Buffer): void {
    this.state = State.Closing;
    this.buf = undefined;
    this.exchange = undefined;
    if (this.paused) this.socket.resume();
    this.socket.end(bytes);
  }

  /** `timeout http-request` passed before the head was complete. */
  headTimedOut(): void {
    this.owner.badRequest(408);
    this.closeWith(rawErrorResponse(408));
  }

  /** The keep-alive wait between two requests is over: close without a word. */
  idleTimedOut(): void {
    this.state = State.Closing;
    this.socket.destroy();
  }

  // ExchangeClient

  write(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  pauseReading(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.paused || this.state === State.Closing) return;
    this.paused = false;
    this.socket.resume();
  }

  cut(): void {
    this.state = State.Closing;
    this.exchange = undefined;
    this.socket.destroy();
  }

  answer(status: number): void {
    const head = this.current;
    const keepAlive = (head?.keepAlive ?? false) && this.state === State.Wait && !this.clientEnded;
    this.owner.responded(status);
    this.socket.write(errorResponse(status, keepAlive, head?.method === 'HEAD'));
    this.afterResponse(keepAlive);
  }

  /** The proxy's own complete answer (stats page). */
  answerWith(bytes: Buffer, keepAlive: boolean): void {
    this.socket.write(bytes);
    this.afterResponse(keepAlive);
  }

  /** Whether the connection may go on after the current request (its body fully read). */
  keepAliveAfterAnswer(): boolean {
    return (this.current?.keepAlive ?? false) && this.state === State.Wait && !this.clientEnded;
  }

  exchangeDone(keepAlive: boolean): void {
    this.afterResponse(keepAlive && this.state === State.Wait && !this.clientEnded);
  }

  private afterResponse(keepAlive: boolean): void {
    this.exchange = undefined;
    this.current = undefined;
    if (this.state === State.Closing) return;
    if (!keepAlive) {
      this.state = State.Closing;
      this.buf = undefined;
      this.socket.end();
      return;
    }
    this.state = State.Head;
    if (this.paused) this.resumeReading();
    if (this.buf) this.parseHeads();
    else this.idleSince = Date.now();
  }

  ended(): void {
    this.clientEnded = true;
    // A request already in keeps being served; otherwise there is nothing left to do.
    if (this.state !== State.Wait) {
      this.exchange?.clientClosed();
      this.exchange = undefined;
      this.state = State.Closing;
      this.socket.destroy();
    }
  }

  closed(): void {
    this.state = State.Closing;
    this.exchange?.clientClosed();
    this.exchange = undefined;
    this.owner.closed(this);
  }

  drained(): void {
    this.exchange?.clientDrained();
  }
}

function onData(this: Tagged, chunk: Buffer): void {
  this[CLIENT]!.data(chunk);
}

function onEnd(this: Tagged): void {
  this[CLIENT]!.ended();
}

function onClose(this: Tagged): void {
  this[CLIENT]!.closed();
}

/** Errors end in 'close', which cleans up. */
function onError(): void {}

function onDrain(this: Tagged): void {
  this[CLIENT]!.drained();
}

/** `timeout client`: the connection was idle that long (as Node's server.timeout did). */
function onTimeout(this: Tagged): void {
  this.destroy();
}
