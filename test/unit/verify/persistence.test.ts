/**
 * The persistence model's judges on made-up answers: each passes what HAProxy does and
 * fails what a plausible wrong config would do (no cookie, no indirect, no redispatch,
 * no stick table), and the rounds are computed from the weights and α.
 */
import { describe, expect, it } from 'vitest';
import type { BackendSpec, CookieSpec } from '../../../src/lab-schema/types.js';
import type { ProbeResponse } from '../../../src/runtime/types.js';
import { cookieValue, judgeIndirect, judgeIssued, judgeRedispatch, judgeReturning, judgeStuck, stickyRounds } from '../../../src/verify/models/persistence-judge.js';

const backend: BackendSpec = {
  name: 'b',
  balance: 'roundrobin',
  servers: [
    { name: 'server1', app: 'app1', weight: 2, check: true, cookie: 's1' },
    { name: 'server2', app: 'app2', weight: 1, check: true, cookie: 's2' },
    { name: 'server3', app: 'app3', weight: 3, check: true, cookie: 's3' },
  ],
};
const cookie: CookieSpec = { name: 'SERVERID', indirect: true };
const answer = (app: string, headers?: Record<string, string>, body = ''): ProbeResponse => ({ status: 200, servedBy: app, body, headers, sentAtMs: 0, doneAtMs: 1 });

describe('persistence judges', () => {
  it('computes rounds so that staying by chance (largest share 1/2) is below α', () => {
    expect(stickyRounds(backend, 0.01)).toBe(7);
    expect(0.5 ** stickyRounds(backend, 0.001)).toBeLessThanOrEqual(0.001);
  });

  it('issued: the Set-Cookie must name the server that answered', () => {
    expect(judgeIssued('p', backend, cookie, [answer('app1', { 'set-cookie': 'SERVERID=s1; path=/' })]).pass).toBe(true);
    expect(judgeIssued('p', backend, cookie, [answer('app1', { 'set-cookie': 'SERVERID=s2; path=/' })]).pass).toBe(false);
    expect(judgeIssued('p', backend, cookie, [answer('app1')]).pass).toBe(false);
    expect(cookieValue(cookie, 'SERVERID=s3; path=/')).toBe('s3');
  });

  it('returning: a client moved, or given a new cookie, fails', () => {
    const [sticky, reissue] = judgeReturning('p', backend, cookie, 7, [{ server: 'server2', response: answer('app2') }, { server: 'server1', response: answer('app1') }]);
    expect(sticky!.pass && reissue!.pass).toBe(true);
    expect(judgeReturning('p', backend, cookie, 7, [{ server: 'server2', response: answer('app3') }])[0]!.pass).toBe(false);
    expect(judgeReturning('p', backend, cookie, 7, [{ server: 'server2', response: answer('app2', { 'set-cookie': 'SERVERID=s2; path=/' }) }])[1]!.pass).toBe(false);
  });

  it('indirect: the app must not see SERVERID, and must see the other cookie', () => {
    expect(judgeIndirect('p', cookie, 'lab=keep', ['Cookie: lab=keep']).pass).toBe(true);
    expect(judgeIndirect('p', cookie, 'lab=keep', ['Cookie: SERVERID=s1; lab=keep']).pass).toBe(false);
    expect(judgeIndirect('p', cookie, 'lab=keep', ['Cookie: (none)']).pass).toBe(false);
    // Without indirect in the spec, the cookie must reach the app.
    expect(judgeIndirect('p', { name: 'SERVERID' }, 'lab=keep', ['Cookie: SERVERID=s1; lab=keep']).pass).toBe(true);
  });

  it('redispatch: another server, its cookie, then staying there', () => {
    const moved = answer('app3', { 'set-cookie': 'SERVERID=s3; path=/' });
    expect(judgeRedispatch('p', backend, cookie, 'server1', moved, answer('app3')).pass).toBe(true);
    expect(judgeRedispatch('p', backend, cookie, 'server1', { status: 503, body: '', sentAtMs: 0, doneAtMs: 1 }, answer('app3')).pass).toBe(false);
    expect(judgeRedispatch('p', backend, cookie, 'server1', answer('app3'), answer('app3')).pass).toBe(false);
    expect(judgeRedispatch('p', backend, cookie, 'server1', moved, answer('app2')).pass).toBe(false);
  });

  it('stuck: each address on its first server', () => {
    const first = new Map([['10.0.0.1', 'server1'], ['10.0.0.2', 'server2']]);
    expect(judgeStuck('p', 'x', backend, first, [{ address: '10.0.0.2', response: answer('app2') }]).pass).toBe(true);
    expect(judgeStuck('p', 'x', backend, first, [{ address: '10.0.0.2', response: answer('app1') }]).pass).toBe(false);
  });
});
