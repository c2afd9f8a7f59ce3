/**
 * A real headless Chromium (Debian's `chromium`, installed by .ci/run) driven by
 * playwright-core, for the HTML report's tests. Every page it opens is watched: console
 * messages of type error, page errors, and every request (the report must make none but
 * its own file's navigation).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { commandTool } from './require-tool.js';

export const CHROMIUM_BIN = '/usr/bin/chromium';
export const CHROMIUM = commandTool("Debian's chromium", CHROMIUM_BIN, ['--version']);

/** Flags for a browser that must not talk to anything: no updates, sync, QUIC or first-run calls. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  open(file: string): Promise<WatchedPage>;
  close(): Promise<void>;
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught page errors, in order. */
  errors: string[];
  /** Every request's URL, the navigation to the file included. */
  requests: string[];
}

/** A browser with a fresh profile (its own --user-data-dir), removed at close. */
export async function launchBrowser(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'haplab-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_BIN, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 } });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    async open(file) {
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      return { page, errors, requests };
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
