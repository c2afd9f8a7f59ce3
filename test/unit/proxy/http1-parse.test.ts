/**
 * The HTTP/1.1 head parsers and body framer of src/proxy/http1 on their own: what they
 * take, what they refuse, and where a body ends, byte for byte. The proxy-level
 * behaviour (400/502 parity with HAProxy) is pinned by test/integration/proxy-abuse.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { BodyFramer } from '../../../src/proxy/http1/body.js';
import { HeaderLines } from '../../../src/proxy/http1/header-lines.js';
import { findHeadEnd, parseRequestHead, type RequestHead } from '../../../src/proxy/http1/request-head.js';
import { parseResponseHead } from '../../../src/proxy/http1/response-head.js';
import { upstreamRequestHead } from '../../../src/proxy/http1/serialize.js';

function request(text: string): { head: RequestHead | 'bad' | 'incomplete'; buf: Buffer; lines: HeaderLines } {
  const buf = Buffer.from(text, 'latin1');
  const lines = new HeaderLines();
  const end = findHeadEnd(buf, 0);
  return { head: typeof end === 'number' ? parseRequestHead(buf, end, lines) : end, buf, lines };
}

describe('request heads', () => {
  it('reads method, target, version, headers in order and the framing', () => {
    const { head } = request('POST /a?b=1 HTTP/1.1\r\nHost: x\r\nX-A:  1 \r\nContent-Length: 5\r\n\r\nhello');
    expect(head).toMatchObject({ method: 'POST', uri: '/a?b=1', minor: 1, rawHeaders: ['Host', 'x', 'X-A', '1', 'Content-Length', '5'], contentLength: 5, chunked: false, keepAlive: true });
  });

  it('keeps HTTP/1.0 alive only when asked, and HTTP/1.1 unless told to close', () => {
    expect((request('GET / HTTP/1.0\r\n\r\n').head as RequestHead).keepAlive).toBe(false);
    expect((request('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').head as RequestHead).keepAlive).toBe(true);
    expect((request('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n').head as RequestHead).keepAlive).toBe(false);
  });

  it('waits for the rest of a head, and refuses a bare LF at once', () => {
    expect(request('GET / HTTP/1.1\r\nHost: x\r\n').head).toBe('incomplete');
    expect(request('GET / HTTP/1.1\nHost: x\n').head).toBe('bad');
  });

  it.each([
    ['lower-case method', 'get / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['HTTP/1.2', 'GET / HTTP/1.2\r\nHost: x\r\n\r\n'],
    ['no Host in 1.1', 'GET / HTTP/1.1\r\n\r\n'],
    ['space before the colon', 'GET / HTTP/1.1\r\nHost : x\r\n\r\n'],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\n Folded: y\r\n\r\n'],
    ['byte ≥ 0x80 in the target', 'GET /a\xe9 HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['target that is no form', 'GET admin HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['two Content-Length', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n'],
    ['signed Content-Length', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n'],
    ['Content-Length beside chunked', 'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n'],
    ['a coding after chunked', 'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'],
    ['control byte in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n'],
    ['102 header lines', `GET / HTTP/1.1\r\nHost: x\r\n${'X: v\r\n'.repeat(101)}\r\n`],
  ])('refuses %s', (_note, text) => {
    expect(request(text).head).toBe('bad');
  });

  it('takes several spaces between the parts of the request line, as Node did', () => {
    expect((request('GET  /x  HTTP/1.1\r\nHost: x\r\n\r\n').head as RequestHead).uri).toBe('/x');
  });
});

describe('the head sent upstream', () => {
  it('drops hop-by-hop lines (and those Connection names), keeps the rest as sent, adds its own', () => {
    const { head, buf, lines } = request('GET /p HTTP/1.0\r\nX-Keep: 1\r\nConnection: x-drop\r\nX-Drop: 2\r\nTE: trailers\r\nkeep-alive: 5\r\n\r\n');
    const out = upstreamRequestHead(buf, head as RequestHead, lines, { host: 'srv:80', forwardedFor: { header: 'X-Forwarded-For', value: '10.0.0.1' }, keepAlive: true });
    expect(out.toString('latin1')).toBe('GET /p HTTP/1.1\r\nX-Keep: 1\r\nHost: srv:80\r\nX-Forwarded-For: 10.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  });
});

describe('response heads', () => {
  const parse = (text: string, head = false) => parseResponseHead(Buffer.from(text, 'latin1'), new HeaderLines(), head);

  it('frames the body by length, chunks, or the connection end; none for HEAD, 204, 304', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc')).toMatchObject({ status: 200, body: 'length', contentLength: 3, keepAlive: true });
    expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')).toMatchObject({ body: 'chunked' });
    expect(parse('HTTP/1.0 200 OK\r\n\r\n')).toMatchObject({ body: 'close', keepAlive: false });
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n', true)).toMatchObject({ body: 'none' });
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n')).toMatchObject({ body: 'none' });
    expect(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ keepAlive: false });
    expect(parse('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ keepAliveTimeout: 5 });
  });

  it('refuses what Node refused (502 at the proxy)', () => {
    expect(parse('FOO\r\n\r\n')).toBe('bad');
    expect(parse('HTTP/1.1 200 OK\nContent-Length: 0\n\n')).toBe('incomplete');
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n')).toBe('bad');
    expect(parse('HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n')).toBe('bad');
  });
});

describe('body framing', () => {
  const feedAll = (f: BodyFramer, parts: string[]) => parts.map((p) => f.feed(Buffer.from(p, 'latin1'), 0, p.length));

  it('counts a Content-Length down and leaves the bytes after it', () => {
    const f = new BodyFramer();
    f.reset('length', 5);
    expect(feedAll(f, ['hel', 'loGET'])).toEqual([3, 2]);
    expect(f.done).toBe(true);
  });

  it('walks chunks (extensions and trailers included) across reads, and ends after the last CRLF', () => {
    const f = new BodyFramer();
    f.reset('chunked');
    const body = '5;x=1\r\nhello\r\na\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n';
    const counts = feedAll(f, [body.slice(0, 9), body.slice(9, 30), body.slice(30) + 'NEXT']);
    expect(counts).toEqual([9, 21, body.length - 30]);
    expect(f.done).toBe(true);
  });

  it.each(['zz\r\n', '5\r\nhelloXX', '\r\n', '5\n'])('refuses a malformed chunked body: %j', (bytes) => {
    const f = new BodyFramer();
    f.reset('chunked');
    expect(f.feed(Buffer.from(bytes, 'latin1'), 0, bytes.length)).toBe(-1);
  });
});
