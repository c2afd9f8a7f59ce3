#!/usr/bin/env node
/**
 * Runs one Node replica of a lab's Flask app: `node replica-main.js LAB_DIR APP`. Listens
 * where the Flask app would (HAPLAB_HOST / HAPLAB_PORT, else 0.0.0.0 and the app's port).
 */
import { join } from 'node:path';
import { loadSpecFile } from '../../lab-schema/load.js';
import { normalizeSpec } from '../../lab-schema/normalize.js';
import { createReplicaServer } from './replica.js';

async function main(argv: readonly string[]): Promise<void> {
  const [dir, appName] = argv;
  if (!dir || !appName) throw new Error('usage: replica-main.js LAB_DIR APP');
  const spec = normalizeSpec(await loadSpecFile(join(dir, 'lab.yaml')));
  const app = spec.apps.find((a) => a.name === appName);
  if (!app) throw new Error(`lab ${dir} has no app ${JSON.stringify(appName)} (apps: ${spec.apps.map((a) => a.name).join(', ')})`);
  const host = process.env.HAPLAB_HOST ?? '0.0.0.0';
  const port = Number(process.env.HAPLAB_PORT ?? app.port);
  const server = createReplicaServer(app, join(dir, 'apps', app.name), { log: (line) => process.stdout.write(`${line}\n`) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, resolve);
  });
  process.stdout.write(` * haplab replica of ${app.name} (Flask stand-in) running on http://${host}:${port}\n`);
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`haplab replica: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
