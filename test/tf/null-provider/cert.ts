/**
 * The plugin's own TLS identity for go-plugin's AutoMTLS: a fresh ECDSA P-256 key and a self-signed
 * X.509 v3 certificate shaped like go-plugin's `generateCert` (mtls.go): CN=localhost, O=HashiCorp,
 * SAN DNS:localhost, CA:true, key usage digitalSignature|keyEncipherment|keyAgreement|keyCertSign,
 * extended key usage clientAuth+serverAuth, valid from 30 s ago for 262980 hours.
 * node:crypto makes the key and signs; der.ts encodes. No openssl binary involved.
 */
import { type KeyObject, createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import * as der from './der';

export interface PluginCert {
  /** DER of the certificate (go-plugin's handshake line carries it, base64 without padding). */
  der: Buffer;
  certPem: string;
  /** PKCS#8 PEM of the private key. */
  keyPem: string;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  organization: '2.5.4.10',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const HOST = 'localhost';

// Go's pkix orders O before CN and uses PrintableString for printable values.
const attribute = (type: string, value: string) =>
  der.set(der.sequence(der.oid(type), der.printableString(value)));
const name = () => der.sequence(attribute(OID.organization, 'HashiCorp'), attribute(OID.commonName, HOST));

const extension = (id: string, critical: boolean, value: Buffer) =>
  der.sequence(der.oid(id), ...(critical ? [der.boolean(true)] : []), der.octetString(value));

/** The uncompressed EC point 0x04 || X || Y: the subjectPublicKey bits a key identifier hashes. */
function ecPoint(publicKey: KeyObject): Buffer {
  const { x, y } = publicKey.export({ format: 'jwk' });
  if (!x || !y) throw new Error('not an EC public key');
  return Buffer.concat([Buffer.from([0x04]), Buffer.from(x, 'base64url'), Buffer.from(y, 'base64url')]);
}

const pem = (label: string, body: Buffer) =>
  `-----BEGIN ${label}-----\n${(body.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;

export function generatePluginCert(now = new Date()): PluginCert {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16); // go-plugin: random below 2^128
  const sigAlg = der.sequence(der.oid(OID.ecdsaWithSha256));
  const notBefore = new Date(now.getTime() - 30_000);
  const notAfter = new Date(now.getTime() + 262_980 * 3_600_000);

  const extensions = der.sequence(
    // digitalSignature(0) | keyEncipherment(2) | keyAgreement(4) | keyCertSign(5)
    extension(OID.keyUsage, true, der.namedBits([0, 2, 4, 5])),
    extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.clientAuth), der.oid(OID.serverAuth))),
    extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
    // Go adds a subject key identifier to CA certificates: SHA-1 of the public key bits.
    extension(
      OID.subjectKeyIdentifier,
      false,
      der.octetString(createHash('sha1').update(ecPoint(publicKey)).digest()),
    ),
    extension(OID.subjectAltName, false, der.sequence(der.implicitPrimitive(2, Buffer.from(HOST, 'ascii')))),
  );

  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    der.unsignedInteger(serial),
    sigAlg,
    name(),
    der.sequence(der.time(notBefore), der.time(notAfter)),
    name(),
    spki,
    der.explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey); // ECDSA-Sig-Value, DER
  const cert = der.sequence(tbs, sigAlg, der.bitString(signature));

  return {
    der: cert,
    certPem: pem('CERTIFICATE', cert),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
