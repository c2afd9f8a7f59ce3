/**
 * Command-line flags shared by the bench's helper processes (backends and peer proxies).
 * They are started only by bench/run.ts, so a wrong flag is a harness bug: fail loudly.
 */
/** Size of the backends' /bulk body: big enough that bytes, not requests, dominate. */
export const BULK_BYTES = 1 << 20;

export interface PeerArgs {
  port: number;
  /** `host:port` of each backend, in the order a round-robin walks them. */
  backends: { host: string; port: number }[];
  name: string;
}

export function parsePeerArgs(argv: readonly string[]): PeerArgs {
  const out: PeerArgs = { port: 0, backends: [], name: 'peer' };
  for (let k = 0; k < argv.length; k++) {
    const flag = argv[k];
    const value = argv[++k];
    if (value === undefined) throw new Error(`${flag} expects a value`);
    if (flag === '--port') out.port = Number(value);
    else if (flag === '--name') out.name = value;
    else if (flag === '--backends') {
      out.backends = value.split(',').map((hp) => {
        const i = hp.lastIndexOf(':');
        return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
      });
    } else throw new Error(`unknown flag ${flag}`);
  }
  if (!Number.isInteger(out.port) || out.port <= 0) throw new Error('--port is required');
  return out;
}

/** Ends the process on SIGTERM/SIGINT after closing `server`, so the harness can reap it. */
export function exitOnSignal(close: () => void): void {
  const stop = () => {
    close();
    // Open keep-alive sockets would keep the loop alive; the harness wants us gone now.
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
