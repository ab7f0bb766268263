/**
 * Entry point of the null provider test double (bundled by install.ts into provider.cjs): checks
 * the go-plugin handshake, serves tfplugin6 over gRPC on a unix socket (mutual TLS when Terraform
 * asks for AutoMTLS), prints the handshake line, and exits on GRPCController.Shutdown.
 */
import { mkdtempSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { type PluginCert, generatePluginCert } from './cert';
import { OpenStreams, brokerService, controllerService, healthService, stdioService } from './go-plugin';
import { checkHandshakeEnv, handshakeLine } from './handshake';
import { servicesFromDescriptor } from './protos';
import { providerService } from './provider';

const MAX_MESSAGE = 256 * 1024 * 1024;

function main(): void {
  const env = checkHandshakeEnv(process.env);
  if (!env.ok) {
    process.stderr.write(env.message);
    process.exit(1);
  }
  // Written beside the bundle by install.ts from proto/*.proto.
  const services = servicesFromDescriptor(
    JSON.parse(readFileSync(path.join(__dirname, 'descriptor.json'), 'utf8')),
  );

  const dir = mkdtempSync(path.join(env.socketDir ?? os.tmpdir(), 'plugin'));
  const socket = path.join(dir, 'plugin.sock');
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

  // AutoMTLS: our own self-signed identity; the client's certificate is the only one trusted.
  let cert: PluginCert | undefined;
  let credentials = ServerCredentials.createInsecure();
  if (env.clientCertPem) {
    cert = generatePluginCert();
    credentials = ServerCredentials.createSsl(
      Buffer.from(env.clientCertPem),
      [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }],
      true,
    );
  }

  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE,
    'grpc.max_send_message_length': MAX_MESSAGE,
  });
  const open = new OpenStreams();
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    open.endAll();
    server.tryShutdown(() => process.exit(0));
    setTimeout(() => {
      server.forceShutdown();
      process.exit(0);
    }, 500).unref();
  };

  server.addService(services.provider, providerService());
  server.addService(services.controller, controllerService(shutdown));
  server.addService(services.stdio, stdioService(open));
  server.addService(services.broker, brokerService(open));
  server.addService(services.health, healthService());

  server.bindAsync(`unix:${socket}`, credentials, (err) => {
    if (err) {
      process.stderr.write(
        `terraform-provider-null (test double): cannot listen on ${socket}: ${err.message}\n`,
      );
      process.exit(1);
    }
    writeSync(1, handshakeLine(socket, cert?.der));
  });

  // Like go-plugin servers: ignore interrupts (Terraform forwards Ctrl-C to the process group and
  // stops providers itself), end on SIGTERM, and do not outlive the process that started us.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', shutdown);
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && shutdown(), 1000).unref();
}

main();
