/**
 * Before a runtime makes anything: a certificate a proxy's haproxy.cfg names at the path the
 * lab's image puts it (TLS_CERT_PATH) must be in the lab, as `<service>/site.pem`. `new` makes
 * it, and the lab's .gitignore keeps it out of git, so a lab cloned from a repository, or one
 * whose file was deleted, has none: HAProxy would then refuse to start (docker: the image's
 * build fails first). Said here once, for every runtime, as bad input on the bind line.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError } from '../../errors.js';
import { tokenizeLine } from '../../proxy/config/index.js';
import { PROXY_SERVICE, proxiesOf } from '../../render/compose.js';
import { renderHaproxyCfg } from '../../render/haproxy-cfg.js';
import { TLS_CERT_FILE, TLS_CERT_PATH, type LabSpec } from '../../lab-schema/types.js';

export async function checkLabCertificates(dir: string, spec: LabSpec): Promise<void> {
  for (const proxy of proxiesOf(spec)) {
    const service = PROXY_SERVICE[proxy];
    const cfgFile = join(dir, service, 'haproxy.cfg');
    // No haproxy.cfg: the runtime runs what lab.yaml renders, which names the same certificate.
    const text = (await readFile(cfgFile, 'latin1').catch(() => undefined)) ?? renderHaproxyCfg(spec);
    for (const [index, raw] of text.split('\n').entries()) {
      // Only bind lines are read: the rest of the file is the runtime's and the proxy's to judge.
      if (!/^\s*bind\s/.test(raw)) continue;
      const words = tokenizeLine(raw, { file: cfgFile, line: index + 1 });
      const crt = words.findIndex((w) => w.text === 'crt');
      const path = words[crt + 1];
      if (crt < 0 || path?.text !== TLS_CERT_PATH || existsSync(join(dir, service, TLS_CERT_FILE))) continue;
      throw new BadInputError(
        `'crt ${TLS_CERT_PATH}' is the lab's ${service}/${TLS_CERT_FILE}, which is missing (its TLS material is made by \`haplab new\` and kept out of git)`,
        { file: cfgFile, line: index + 1, column: path.column },
        `copy it back, or make the lab again: haplab new ${spec.id} --dir ${dir} --force (this rewrites the lab's files: keep your edits)`,
      );
    }
  }
}
