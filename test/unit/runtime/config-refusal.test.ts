/**
 * A proxy's refusal of the lab's haproxy.cfg, read from its log (src/runtime/shared/config-refusal.ts):
 * the lines are HAProxy 2.6's and haplab's proxy's own, as they print them.
 */
import { describe, expect, it } from 'vitest';
import { configRefusal } from '../../../src/runtime/shared/config-refusal.js';

const IMAGE_CFG = '/usr/local/etc/haproxy/haproxy.cfg';
const haproxyLog = (...alerts: string[]) => [
  '[NOTICE]   (1) : haproxy version is 2.6.12-1+deb12u4',
  '[NOTICE]   (1) : path to executable is /usr/sbin/haproxy',
  ...alerts.map((a) => `[ALERT]    (1) : config : ${a}`),
];

describe('configRefusal', () => {
  it("names HAProxy's first refused line at the lab's file, exit 2", () => {
    const err = configRefusal('haproxy', haproxyLog(
      `parsing [${IMAGE_CFG}:42] : unknown keyword 'balanc' in 'backend' section; did you mean 'balance' maybe ?`,
      `parsing [${IMAGE_CFG}:50] : another one`,
      `Error(s) found in configuration file : ${IMAGE_CFG}`,
      'Fatal errors found in configuration.',
    ), IMAGE_CFG, '/labs/ep09/haproxy/haproxy.cfg');
    expect(err?.exitCode).toBe(2);
    expect(err?.oneLine()).toMatch(/^\/labs\/ep09\/haproxy\/haproxy\.cfg:42: HAProxy refuses this line: unknown keyword 'balanc' in 'backend' section; did you mean 'balance' maybe \? — fix it/);
  });

  it('a refusal after parsing names the file without a line', () => {
    const err = configRefusal('haproxy', haproxyLog(
      "Proxy 'http_front': unable to find required default_backend: 'nowhere'.",
      `Error(s) found in configuration file : ${IMAGE_CFG}`,
      'Fatal errors found in configuration.',
    ), IMAGE_CFG, '/labs/ep09/haproxy/haproxy.cfg');
    expect(err?.oneLine()).toMatch(/^\/labs\/ep09\/haproxy\/haproxy\.cfg: HAProxy refuses it: Proxy 'http_front': unable to find required default_backend: 'nowhere'\./);
  });

  it("reads haplab's proxy's own bad-input line", () => {
    const err = configRefusal('ts', [
      "haplab: /haplab/haproxy.cfg:42:5: unknown keyword 'balanc' in 'backend' section — did you mean 'balance'?",
    ], '/haplab/haproxy.cfg', '/labs/ep09/tsproxy/haproxy.cfg');
    expect(err?.oneLine()).toBe("/labs/ep09/tsproxy/haproxy.cfg:42: haplab's proxy refuses this line: unknown keyword 'balanc' in 'backend' section — did you mean 'balance'?");
  });

  it('says nothing of other failures, nor of a file the runtime did not deliver', () => {
    expect(configRefusal('haproxy', haproxyLog('parsing [/etc/other.cfg:3] : unknown keyword'), IMAGE_CFG, '/labs/x/haproxy/haproxy.cfg')).toBeUndefined();
    expect(configRefusal('haproxy', ['[WARNING]  (8) : Server servers/server1 is DOWN', 'exited'], IMAGE_CFG, '/labs/x')).toBeUndefined();
    expect(configRefusal('ts', ['haplab: internal error: boom'], '/haplab/haproxy.cfg', '/labs/x')).toBeUndefined();
  });
});
