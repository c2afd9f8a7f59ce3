/**
 * The HTML report in a real browser (Debian's chromium, headless, through playwright-core).
 * A real run makes it: `haplab check ep09 --proxy both` on the local runtime writes --json
 * and --html, and `haplab report` turns the JSON back into the same page. In the browser:
 * the verdict heads the page, each bar's length is in proportion to its count, every check
 * of the JSON is a row with its full text, the candidates, the config that ran and the seed
 * are there, the console has no errors and nothing but the file itself was requested. A
 * report whose texts carry markup (a check name, a server, an edited haproxy.cfg) shows
 * them as text: no element, script or request comes of them. Each page is screenshotted
 * (HAPLAB_KEEP_SCREENSHOTS=1 keeps them, and prints where, to look at).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { CHROMIUM, launchBrowser, type Browser, type WatchedPage } from '../helpers/browser.js';
import { DIST, describeWithTool } from '../helpers/require-tool.js';
import type { Report } from '../../src/verify/report/types.js';
import { renderIdentifyHtml, type IdentifyRecord } from '../../src/verify/report/html/index.js';

const SEED = 'html-report';

/** Every bar of every chart: its length and the count it stands for. */
async function bars(w: WatchedPage, scope = 'body'): Promise<{ chart: string; server: string; kind: string; count: number; width: number }[]> {
  return w.page.$$eval(`${scope} figure.chart rect.bar`, (rects) => rects.map((r) => ({
    chart: r.closest('figure')!.getAttribute('data-title') ?? '',
    server: r.getAttribute('data-server') ?? '',
    kind: r.getAttribute('data-kind') ?? '',
    count: Number(r.getAttribute('data-count')),
    width: r.getBoundingClientRect().width,
  })));
}

/** Lengths in proportion to counts within a chart: width / count the same for every bar (to a pixel's rounding). */
function expectProportional(list: Awaited<ReturnType<typeof bars>>): void {
  const charts = new Set(list.map((b) => b.chart));
  for (const chart of charts) {
    const mine = list.filter((b) => b.chart === chart);
    const largest = mine.reduce((a, b) => (b.count > a.count ? b : a));
    const scale = largest.width / largest.count;
    for (const b of mine) expect(Math.abs(b.width - b.count * scale), `${chart} ${b.server} ${b.kind}`).toBeLessThan(0.6);
  }
}

function expectQuiet(w: WatchedPage, file: string): void {
  expect(w.errors).toEqual([]);
  expect(w.requests).toEqual([pathToFileURL(file).href]);
}

describeWithTool([CHROMIUM, DIST], 'the HTML report in headless Chromium', () => {
  let dir: string;
  let browser: Browser;
  let report: Report;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haplab-html-'));
    const run = await runCli(['check', 'ep09', '--runtime', 'local', '--proxy', 'both', '--seed', SEED, '--json', join(dir, 'ep09.json'), '--html', join(dir, 'ep09.html')], { timeoutMs: 120_000 });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`html: ${join(dir, 'ep09.html')}`);
    report = JSON.parse(await readFile(join(dir, 'ep09.json'), 'utf8')) as Report;
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    // HAPLAB_KEEP_SCREENSHOTS=1 keeps the pages and their screenshots to look at.
    if (dir && process.env.HAPLAB_KEEP_SCREENSHOTS) console.log(`HTML report pages and screenshots kept in ${dir}`);
    else if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the JSON carries what the page shows: each proxy\'s config text and the seed', () => {
    expect(report.seed).toBe(SEED);
    for (const r of report.reports!) {
      expect(r.config?.file).toMatch(/haproxy\.cfg$|tsproxy\.cfg$/);
      expect(r.config?.text).toMatch(/^backend servers$/m);
      expect(r.config?.text).toMatch(/balance roundrobin/);
    }
  });

  it('haplab report FILE.json --html OUT writes the very page check wrote', async () => {
    const again = await runCli(['report', join(dir, 'ep09.json'), '--html', join(dir, 'again.html')]);
    expect(again.code, again.stderr).toBe(0);
    expect(await readFile(join(dir, 'again.html'), 'utf8')).toBe(await readFile(join(dir, 'ep09.html'), 'utf8'));
  });

  it('in the browser: verdict first, bars in proportion, every check in full, candidates, config, seed; no errors, no requests', async () => {
    const file = join(dir, 'ep09.html');
    const w = await browser.open(file);
    await w.page.screenshot({ path: join(dir, 'ep09.png'), fullPage: true });
    const first = await w.page.$eval('body > *', (e) => ({ tag: e.tagName, verdict: e.getAttribute('data-verdict'), text: e.textContent ?? '' }));
    expect(first).toMatchObject({ tag: 'HEADER', verdict: report.verdict });
    expect(first.text).toContain(SEED);

    for (const r of report.reports!) {
      const scope = `section.proxy-report[data-proxy="${r.proxy}"]`;
      const list = await bars(w, scope);
      // Two bars a server: what was observed and what the model expects.
      expect(list.filter((b) => b.kind === 'observed').map((b) => [b.server, b.count])).toEqual(Object.entries(r.counts));
      expect(list.filter((b) => b.kind === 'expected').map((b) => [b.server, b.count])).toEqual(Object.entries(r.expectedCounts!));
      expectProportional(list);
      const rows = await w.page.$$eval(`${scope} tr.check`, (trs) => trs.map((tr) => ({ name: tr.getAttribute('data-check'), outcome: tr.getAttribute('data-outcome'), text: tr.textContent ?? '' })));
      expect(rows.map((x) => x.name)).toEqual(r.checks.map((c) => c.name));
      r.checks.forEach((c, i) => {
        expect(rows[i]!.text).toContain(c.expected); // whole, never cut
        expect(rows[i]!.text).toContain(c.detail);
        expect(rows[i]!.outcome).toBe(c.skipped ? 'skip' : c.pass ? 'pass' : 'fail');
      });
      const candidates = await w.page.$$eval(`${scope} tr.candidate`, (trs) => trs.map((tr) => tr.getAttribute('data-candidate')));
      expect(candidates.sort()).toEqual(r.candidates![0]!.outcomes.map((o) => o.label).sort());
      expect(await w.page.$eval(`${scope} details.config pre`, (e) => e.textContent)).toBe(r.config!.text);
    }
    expectQuiet(w, file);
  });

  it('markup in a report\'s texts stays text: no element, script or request comes of it', async () => {
    const hostile = '<img src="http://127.0.0.1:9/x" onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>';
    const edited: Report = structuredClone(report);
    const inner = edited.reports![0]!;
    inner.checks[0]!.name = `rr.${hostile}`;
    inner.checks[0]!.expected = hostile;
    inner.counts = Object.fromEntries(Object.entries(inner.counts).map(([k, v], i) => [i === 0 ? `${k}${hostile}` : k, v]));
    inner.config = { file: 'haproxy.cfg', text: `</pre>${hostile}` };
    edited.notes.push(hostile);
    await writeFile(join(dir, 'hostile.json'), JSON.stringify(edited));
    const made = await runCli(['report', join(dir, 'hostile.json'), '--html', join(dir, 'hostile.html')]);
    expect(made.code, made.stderr).toBe(0);
    const w = await browser.open(join(dir, 'hostile.html'));
    await w.page.screenshot({ path: join(dir, 'hostile.png'), fullPage: true });
    expect(await w.page.title()).not.toBe('pwned');
    expect(await w.page.$$eval('img, script, body iframe', (e) => e.length)).toBe(0);
    expect(await w.page.$eval(`tr.check[data-check="rr.${hostile.replace(/"/g, '\\"')}"]`, (e) => e.textContent)).toContain(hostile);
    expect(await w.page.$eval('details.config pre', (e) => e.textContent)).toBe(`</pre>${hostile}`);
    expectQuiet(w, join(dir, 'hostile.html'));
  });

  it('identify\'s page: what fits, the shares charted in proportion, what was ruled out and why', async () => {
    const record: IdentifyRecord = {
      target: 'http://127.0.0.1:8090/', seed: 'id-seed', requests: 240, servers: ['s1', 's2', 's3'], unanswered: 0,
      shares: [{ server: 's1', share: 0.5, low: 0.41, high: 0.59 }, { server: 's2', share: 1 / 3, low: 0.25, high: 0.42 }, { server: 's3', share: 1 / 6, low: 0.1, high: 0.24 }],
      fits: [{ algorithms: ['roundrobin', 'static-rr'], variants: { roundrobin: 's1:3 s2:2 s3:1', 'static-rr': 's1:3 s2:2 s3:1' }, evidence: ['sequential: all 120 follow its order'] }],
      ruledOut: [{ algorithm: 'leastconn', reason: 'sequential: 40 of 120 differ' }, { algorithm: 'source (consistent)', reason: 'keyed: 31 of 40 keys moved' }],
    };
    const file = join(dir, 'identify.html');
    await writeFile(file, renderIdentifyHtml(record));
    const w = await browser.open(file);
    await w.page.screenshot({ path: join(dir, 'identify.png'), fullPage: true });
    expect(await w.page.$eval('header.verdict h1', (e) => e.textContent)).toContain('roundrobin ≡ static-rr');
    const list = await bars(w);
    expect(list.map((b) => [b.server, b.count])).toEqual([['s1', 50], ['s2', 33.3], ['s3', 16.7]]);
    expectProportional(list);
    expect(await w.page.$$eval('tr.candidate', (trs) => trs.map((t) => t.textContent ?? ''))).toEqual(record.ruledOut.map((x) => expect.stringContaining(x.reason)));
    expectQuiet(w, file);
  });
});
