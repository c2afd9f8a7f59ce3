/**
 * `crt FILE` as HAProxy reads it: one PEM holding the certificate (then any chain) and its
 * private key. Node takes the certificates and the key as separate options; both are cut
 * from the one file here. Read once per listener, at start: a missing or keyless file stops
 * the proxy from starting, as it stops HAProxy.
 */
import { readFileSync } from 'node:fs';
import { BadInputError } from '../../errors.js';

const CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\s*/g;
const KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----\s*/;

export function tlsCredentials(file: string): { cert: string; key: string } {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BadInputError(`unable to load SSL certificate file '${file}' (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`, { file }, 'make the PEM (certificate then key) and point crt at it');
  }
  const certs = pem.match(CERT);
  const key = KEY.exec(pem)?.[0];
  if (!certs || !key) {
    throw new BadInputError(`SSL certificate file '${file}' needs ${certs ? 'a private key' : 'a certificate'}`, { file }, 'put the certificate, its chain and the private key in one PEM file');
  }
  return { cert: certs.join(''), key };
}
