/** The page's only style sheet, inlined: the report is one file that needs no network. */
export const STYLE = `
:root { --pass: #1a7f37; --fail: #cf222e; --skip: #9a6700; --muted: #57606a; --line: #d0d7de; --observed: #0969da; --expected: #afb8c1; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 0 24px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #fff; }
header.verdict { margin: 0 -24px 24px; padding: 20px 24px; color: #fff; }
header.verdict.pass { background: var(--pass); }
header.verdict.fail { background: var(--fail); }
header.verdict h1 { margin: 0 0 4px; font-size: 28px; letter-spacing: .02em; }
header.verdict p { margin: 2px 0; }
h2 { margin: 32px 0 8px; font-size: 20px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { margin: 20px 0 8px; font-size: 16px; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
pre { background: #f6f8fa; border: 1px solid var(--line); padding: 8px 12px; overflow-x: auto; white-space: pre; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; overflow-wrap: break-word; }
table.checks, table.candidates { table-layout: fixed; }
.badge, th { white-space: nowrap; }
th { background: #f6f8fa; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 6px; border-radius: 4px; color: #fff; font-weight: 600; font-size: 12px; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.skip { background: var(--skip); }
tr.fail td { background: #ffebe9; } tr.skip td { background: #fff8c5; }
.detail { color: var(--muted); font-size: 12.5px; margin-top: 2px; }
.covers { margin: 4px 0 0; padding-left: 18px; color: var(--muted); font-size: 12.5px; }
figure { margin: 8px 0 16px; }
figcaption { color: var(--muted); font-size: 12.5px; }
svg text { font: 12px system-ui, sans-serif; fill: #1f2328; }
svg rect.observed { fill: var(--observed); }
svg rect.expected { fill: var(--expected); }
svg rect.off { fill: var(--fail); }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; vertical-align: middle; }
ul.notes li { margin: 2px 0; }
details { margin: 8px 0; } summary { cursor: pointer; font-weight: 600; }
footer { margin-top: 32px; color: var(--muted); font-size: 12.5px; }
`;
