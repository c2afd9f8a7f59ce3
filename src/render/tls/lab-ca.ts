/**
 * A lab's TLS material, made at `new` and never checked in (the lab's .gitignore names it):
 * a throwaway certificate authority and one leaf certificate for the lab's names, signed by
 * it. HAProxy reads the leaf and its key from one PEM file (`bind … ssl crt site.pem`); a
 * client that trusts ca.pem completes the handshake, one that does not refuses it.
 * ECDSA P-256 keys: small and fast to make (a few ms), accepted by HAProxy 2.6 and Node.
 */
import { webcrypto } from 'node:crypto';

type X509 = typeof import('@peculiar/x509');
let loaded: Promise<X509> | undefined;

/**
 * @peculiar/x509 and what it pulls in (tsyringe, the ASN.1 schemas) take ~250 ms to load:
 * only the commands that make a certificate pay for them, not every start of the CLI.
 */
function loadX509(): Promise<X509> {
  loaded ??= (async () => {
    await import('./metadata-shim.js');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })();
  return loaded;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface LabTls {
  /** The CA's certificate (PEM): what a client must trust. */
  caPem: string;
  /** The leaf certificate then its private key (PKCS#8), one PEM file as HAProxy's `crt` wants. */
  sitePem: string;
  /** The names the leaf is valid for. */
  names: string[];
}

function pemKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(12))).toString('hex').replace(/^[89a-f]/, '1');
}

/** A CA named for the lab and a leaf for `names` (DNS names; IP literals become IP SANs), valid `days` days. */
export async function makeLabTls(lab: string, names: readonly string[], days = 30): Promise<LabTls> {
  const x509 = await loadX509();
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + days * DAY_MS);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=haplab lab CA ${lab.replace(/[,=+<>#;"\\]/g, '-')}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leafKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as CryptoKeyPair;
  const san = names.map((n) => (/^[0-9.]+$|:/.test(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }));
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names[0] ?? 'localhost'}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(san, false),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const key = await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey);
  return { caPem: ca.toString('pem') + '\n', sitePem: `${leaf.toString('pem')}\n${pemKey(key)}`, names: [...names] };
}
