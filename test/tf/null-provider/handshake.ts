/**
 * hashicorp/go-plugin's handshake, plugin side: the magic cookie Terraform sets, the protocol
 * version it accepts, and the one line printed on stdout that tells it where to connect:
 * `CORE|APP|unix|<socket>|grpc|<server cert DER, base64 without padding>`.
 */

export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
/** go-plugin's CoreProtocolVersion. */
export const CORE_PROTOCOL_VERSION = 1;
/** tfplugin6. */
export const PROTOCOL_VERSION = 6;

export type HandshakeEnv =
  | {
      ok: true;
      /** PLUGIN_CLIENT_CERT: the client's certificate (PEM) under AutoMTLS, the only one trusted. */
      clientCertPem?: string;
      /** PLUGIN_UNIX_SOCKET_DIR, where the client wants the socket. */
      socketDir?: string;
    }
  | { ok: false; message: string };

const NOT_A_PROGRAM =
  'This binary is a plugin. These are not meant to be executed directly.\n' +
  'Please execute the program that consumes these plugins, which will\n' +
  'load any plugins automatically\n';

export function checkHandshakeEnv(env: NodeJS.ProcessEnv): HandshakeEnv {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    return {
      ok: false,
      message:
        `terraform-provider-null (dm-cdktf test double of hashicorp/null): ${MAGIC_COOKIE_KEY} is ` +
        `${env[MAGIC_COOKIE_KEY] === undefined ? 'not set' : 'wrong'}.\n${NOT_A_PROGRAM}`,
    };
  }
  // Unset means the client takes the handshake's default version; set, it must include ours.
  const offered = env.PLUGIN_PROTOCOL_VERSIONS;
  if (offered !== undefined && offered !== '') {
    const versions = offered.split(',').map((v) => Number(v.trim()));
    if (!versions.includes(PROTOCOL_VERSION)) {
      return {
        ok: false,
        message:
          `terraform-provider-null (dm-cdktf test double): this plugin speaks protocol ` +
          `${PROTOCOL_VERSION} (tfplugin6) only; the client offers ${offered}.\n`,
      };
    }
  }
  const clientCertPem = env.PLUGIN_CLIENT_CERT || undefined;
  const socketDir = env.PLUGIN_UNIX_SOCKET_DIR || undefined;
  return { ok: true, clientCertPem, socketDir };
}

/** The handshake line (with its newline); the cert is left out when not serving TLS. */
export function handshakeLine(socketPath: string, certDer?: Uint8Array): string {
  const parts: (string | number)[] = [CORE_PROTOCOL_VERSION, PROTOCOL_VERSION, 'unix', socketPath, 'grpc'];
  // go-plugin decodes with base64.RawStdEncoding: standard alphabet, no padding.
  if (certDer) parts.push(Buffer.from(certDer).toString('base64').replace(/=+$/, ''));
  return parts.join('|') + '\n';
}
