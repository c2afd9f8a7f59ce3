/** The HTML writers' entry: any report kind to one self-contained page. */
import { writeFile } from 'node:fs/promises';
import type { SavedReport } from '../saved.js';
import { renderIdentifyHtml } from './identify.js';
import { renderHtmlReport } from './page.js';
import { renderHtmlSuite } from './suite.js';

export { renderHtmlReport } from './page.js';
export { renderHtmlSuite } from './suite.js';
export { renderIdentifyHtml, type IdentifyRecord } from './identify.js';

export function renderHtml(saved: SavedReport): string {
  switch (saved.kind) {
    case 'lab': return renderHtmlReport(saved.report);
    case 'suite': return renderHtmlSuite(saved.report);
    case 'identify': return renderIdentifyHtml(saved.report);
  }
}

export async function writeHtmlReport(file: string, saved: SavedReport): Promise<void> {
  await writeFile(file, renderHtml(saved), 'utf8');
}
