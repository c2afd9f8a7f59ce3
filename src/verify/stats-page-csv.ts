/**
 * HAProxy's stats CSV (`…;csv`, also served by haplab's proxy): the one reader of it in the
 * verifier. A header line `# pxname,svname,…` names the columns; each server has a row.
 */

/** Server rows by "backend/server" (FRONTEND and BACKEND summary rows left out), as column → value. */
export function statsRows(csv: string): Map<string, Record<string, string>> {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim().length > 0);
  const header = lines.shift()?.replace(/^#\s*/, '').split(',') ?? [];
  const out = new Map<string, Record<string, string>>();
  if (!header.includes('pxname') || !header.includes('svname')) return out;
  for (const line of lines) {
    const cols = line.split(',');
    const row = Object.fromEntries(header.map((h, i) => [h, cols[i] ?? '']));
    if (!row.svname || row.svname === 'FRONTEND' || row.svname === 'BACKEND') continue;
    out.set(`${row.pxname}/${row.svname}`, row);
  }
  return out;
}

/** The `status` column of one server's row ("UP", "DOWN 1/2", …), or undefined. */
export function serverStatus(csv: string, backend: string, server: string): string | undefined {
  return statsRows(csv).get(`${backend}/${server}`)?.status;
}
