/**
 * HAProxy's automatic server ids (puid), which consistent hashing and `first`
 * depend on. cfgparse.c walks the servers in declaration order with a counter that
 * starts at 1 and advances once per server — also past servers that carry an
 * explicit `id` — and gives each server without one the first unused id at or
 * above the counter. So `id 7`, -, `id 3`, - numbers the servers 7, 2, 3, 4.
 */
export function assignServerIds(explicit: ReadonlyArray<number | undefined>): number[] {
  const used = new Set<number>();
  for (const id of explicit) if (id !== undefined) used.add(id);
  let next = 1;
  return explicit.map((id) => {
    if (id === undefined) {
      while (used.has(next)) next++;
      id = next;
      used.add(id);
    }
    next++;
    return id;
  });
}
