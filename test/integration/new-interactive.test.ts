/**
 * `haplab new` on a real terminal (tmux): it asks for what the flags left open, and the lab
 * it writes carries the answers. Needs tmux (installed by .ci/run).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { cliPath } from '../helpers/cli.js';
import { itWithTool, TMUX } from '../helpers/require-tool.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-tty-'));
const session = `haplab-test-${process.pid}`;
afterAll(() => {
  try { execFileSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' }); } catch { /* already gone */ }
  rmSync(root, { recursive: true, force: true });
});

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session);

/** Waits for the screen to show `text`; the bound only ends a failure (a loaded machine starts node slowly). */
async function waitFor(text: string | RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = screen();
    if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}; screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

itWithTool(TMUX, 'asks episode, algorithm, servers, weights and proxy on a TTY', async () => {
  const dir = join(root, 'lab');
  // The pane stays after `new` ends, so its last screen can be read (afterAll kills the session).
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '30', `${process.execPath} ${cliPath} new --dir ${dir}; sleep 600`);
  await waitFor('Which episode?');
  // The catalogue is sorted: ep02 … ep09; ep09 is the eighth entry.
  for (let i = 0; i < 7; i++) tmux('send-keys', '-t', session, 'Down');
  tmux('send-keys', '-t', session, 'Enter');
  await waitFor('Balancing algorithm?');
  tmux('send-keys', '-t', session, 'Enter'); // the episode's roundrobin
  await waitFor('How many servers');
  tmux('send-keys', '-t', session, 'C-u', '4', 'Enter');
  await waitFor('Weights');
  tmux('send-keys', '-t', session, 'C-u', '5,1,1,3', 'Enter');
  await waitFor('Which proxy?');
  tmux('send-keys', '-t', session, 'Down', 'Down', 'Enter'); // both
  await waitFor(/wrote lab lab .*proxy both/);
  expect(existsSync(join(dir, 'lab.yaml'))).toBe(true);
  const cfg = readFileSync(join(dir, 'haproxy', 'haproxy.cfg'), 'utf8');
  expect(cfg).toMatch(/server server1 app1:5001 weight 5 check\n\s+server server2 app2:5002 check\n\s+server server3 app3:5003 check\n\s+server server4 app4:\d+ weight 3 check/);
  expect(existsSync(join(dir, 'tsproxy', 'haproxy.cfg'))).toBe(true);
}, 300_000);
