/** identify's answer for people: what fits (grouped), the shares seen, what was ruled out and why. */
import type { IdentifyResult } from './index.js';

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export function renderIdentify(target: string, r: IdentifyResult, seed: string): string {
  const out: string[] = [`identify ${target}: ${r.requests} requests, servers seen: ${r.servers.join(', ') || 'none'}`];
  if (r.unanswered) out.push(`  ${r.unanswered} requests named no server (no header / no pattern match, or no answer)`);
  out.push('', 'shares of the sequential requests (95 % Wilson interval):');
  for (const s of r.shares) out.push(`  ${s.server.padEnd(16)} ${pct(s.share).padStart(7)}  [${pct(s.low)}, ${pct(s.high)}]`);
  out.push('');
  if (r.fits.length === 0) out.push('fits: nothing haplab knows — not one of its algorithms explains what was seen');
  r.fits.forEach((cls, i) => {
    const head = cls.algorithms.length > 1 ? `${cls.algorithms.join(' ≡ ')} (this traffic cannot tell them apart)` : cls.algorithms[0]!;
    out.push(`${r.fits.length > 1 ? `fits (${i + 1} of ${r.fits.length})` : 'fits'}: ${head}`);
    for (const [alg, variant] of Object.entries(cls.variants)) out.push(`  ${alg}: server order and weights ${variant}`);
    for (const e of cls.evidence) out.push(`  ${e}`);
  });
  out.push('', `ruled out (${r.ruledOut.length}):`);
  for (const x of r.ruledOut) out.push(`  ${x.algorithm}: ${x.reason}`);
  out.push('', r.fits.length === 1 ? 'identified.' : r.fits.length === 0 ? 'not identified.' : `not identified: ${r.fits.length} classes fit; send more (--requests, --keys).`);
  out.push(`seed ${seed} (repeat with --seed ${seed})`, '');
  return out.join('\n');
}

/** The one line `--quiet` prints: identified or not, and what fits. */
export function identifyVerdictLine(target: string, r: IdentifyResult): string {
  const classes = r.fits.map((cls) => cls.algorithms.join(' ≡ ')).join(' | ');
  if (r.fits.length === 1) return `identified ${target}: ${classes}`;
  if (r.fits.length === 0) return `not identified ${target}: nothing haplab knows fits`;
  return `not identified ${target}: ${r.fits.length} classes fit (${classes})`;
}
