/**
 * The null provider test double (test/tf/null-provider): its certificate and value codec, the
 * plugin process on its own (handshake, mutual TLS, Shutdown, no start without the magic cookie),
 * and, where `terraform` is on PATH, real init / validate / apply / plan / destroy runs of a
 * hand-written main.tf.json. Without terraform those are skipped with the reason printed, except
 * where the run must not skip (DMLAB_REQUIRED=1, as CI sets): there global setup fails the run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, type MethodDefinition, type ServiceDefinition, credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePluginCert } from './null-provider/cert';
import { UNKNOWN, Unknown, decodeMsgpack, encodeMsgpack } from './null-provider/cty';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, handshakeLine } from './null-provider/handshake';
import { type NullProviderInstall, installNullProvider } from './null-provider/install';
import { planChange } from './null-provider/null-resource';
import { terraformForTests } from './availability';
import { type Services, servicesFromDescriptor } from './null-provider/protos';

// without terraform the real runs skip with the reason printed; CI's global setup fails instead
const TERRAFORM = terraformForTests().binary;

const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'dm-cdktf-null-provider-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCount = 0;
const tempDir = (name: string) => mkdtempSync(path.join(tmpRoot, `${name}-${tmpCount++}-`));

let installed: NullProviderInstall;
beforeAll(() => {
  installed = installNullProvider(path.join(tmpRoot, 'install'));
});

// ---------------------------------------------------------------------------------------------
describe('pieces', () => {
  it('makes a self-signed certificate shaped like go-plugin AutoMTLS', () => {
    const cert = generatePluginCert();
    const x = new X509Certificate(cert.der);
    expect(x.ca).toBe(true);
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.subjectAltName).toBe('DNS:localhost');
    expect(x.subject).toContain('CN=localhost');
    expect(x.subject).toContain('O=HashiCorp');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(new X509Certificate(cert.certPem).fingerprint256).toBe(x.fingerprint256);
  });

  it('writes the handshake line with the certificate in unpadded base64', () => {
    const der = Buffer.from([1, 2, 3, 4]); // base64 "AQIDBA==" padded
    expect(handshakeLine('/tmp/s/plugin.sock', der)).toBe('1|6|unix|/tmp/s/plugin.sock|grpc|AQIDBA\n');
    expect(handshakeLine('/tmp/s/plugin.sock')).toBe('1|6|unix|/tmp/s/plugin.sock|grpc\n');
  });

  it('round-trips cty unknowns (plain and refined) through msgpack', () => {
    expect(Buffer.from(encodeMsgpack(UNKNOWN))).toEqual(Buffer.from([0xd4, 0x00, 0x00]));
    // unknown with refinements as cty writes it: ext8, 3 bytes, type 0x0c, payload {1: false} ("not null")
    const refined = Buffer.from([0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2]);
    const decoded = decodeMsgpack(refined);
    expect(decoded).toBeInstanceOf(Unknown);
    expect(Buffer.from(encodeMsgpack(decoded))).toEqual(refined);
    // objects are written with sorted keys, as cty writes them
    expect(decodeMsgpack(encodeMsgpack({ triggers: { b: '2', a: UNKNOWN }, id: null }))).toEqual({
      id: null,
      triggers: { a: UNKNOWN, b: '2' },
    });
  });

  it('plans null_resource as hashicorp/null does', () => {
    const prior = { id: '42', triggers: { v: '1' } };
    expect(planChange(null, { id: null, triggers: { v: '1' } })).toEqual({
      planned: { id: UNKNOWN, triggers: { v: '1' } },
      requiresReplace: [],
    });
    expect(planChange(prior, { id: '42', triggers: { v: '1' } })).toEqual({
      planned: prior,
      requiresReplace: [],
    });
    expect(planChange(prior, { id: '42', triggers: { v: '2' } }).requiresReplace).toEqual([
      { steps: [{ attribute_name: 'triggers' }] },
    ]);
    expect(planChange(prior, { id: '42', triggers: { v: UNKNOWN } }).requiresReplace).toHaveLength(1);
    expect(planChange(prior, null)).toEqual({ planned: null, requiresReplace: [] });
  });
});

describe('install', () => {
  it('is idempotent and safe for parallel callers', async () => {
    const dir = tempDir('parallel');
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const script = `require(${JSON.stringify(path.join(__dirname, 'null-provider', 'install.ts'))}).installNullProvider(${JSON.stringify(dir)})`;
    const codes = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<number | null>((resolve, reject) => {
            const child = spawn(tsx, ['-e', script], { stdio: ['ignore', 'inherit', 'inherit'] });
            child.on('error', reject);
            child.on('exit', resolve);
          }),
      ),
    );
    expect(codes).toEqual([0, 0, 0]);
    const again = installNullProvider(dir);
    const versionDir = path.dirname(path.dirname(again.executable));
    expect(readdirSync(versionDir)).toEqual([path.basename(path.dirname(again.executable))]); // no leftovers
    const bundle = path.join(path.dirname(again.executable), 'provider.cjs');
    const before = statSync(bundle);
    installNullProvider(dir);
    expect(statSync(bundle).ino).toBe(before.ino); // reused, not rebuilt
    expect(readFileSync(again.cliConfigFile, 'utf8')).toContain(
      `path    = ${JSON.stringify(again.mirrorDir)}`,
    );
    expect(readFileSync(again.cliConfigFile, 'utf8')).not.toContain('direct');
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
interface Started {
  child: ChildProcess;
  line: string;
  ms: number;
  stderr: () => string;
}

/** Starts the plugin as Terraform does and waits for its handshake line. */
function startPlugin(env: NodeJS.ProcessEnv): Promise<Started> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(installed.executable, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, line: out.slice(0, nl), ms: performance.now() - t0, stderr: () => err });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`plugin exited ${code} before its handshake: ${err}`)));
  });
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once('exit', (c) => r(c)));

function unary(
  client: Client,
  def: ServiceDefinition,
  method: string,
  request: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const m = def[method] as MethodDefinition<Record<string, unknown>, Record<string, unknown>>;
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, (e, res) =>
      e || !res ? reject(e ?? new Error('no response')) : resolve(res),
    ),
  );
}

const pemOf = (der: Buffer) => new X509Certificate(der).toString();

describe('plugin process', () => {
  it('refuses to start without the magic cookie', async () => {
    const env = { ...process.env };
    delete env[MAGIC_COOKIE_KEY];
    const child = spawn(installed.executable, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(child)).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('TF_PLUGIN_MAGIC_COOKIE is not set');
    expect(err).toContain('This binary is a plugin');
  });

  it('refuses a client that does not offer protocol 6', async () => {
    const child = spawn(installed.executable, [], {
      env: { ...process.env, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '5' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    expect(await exited(child)).toBe(1);
    expect(err).toContain('protocol 6 (tfplugin6) only');
  });

  it('serves tfplugin6 over mutual TLS to the one client certificate and exits on Shutdown', async () => {
    const clientCert = generatePluginCert();
    const services: Services = servicesFromDescriptor(
      JSON.parse(readFileSync(path.join(path.dirname(installed.executable), 'descriptor.json'), 'utf8')),
    );
    const env = {
      ...process.env,
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: '5,6',
      PLUGIN_CLIENT_CERT: clientCert.certPem,
    };
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await startPlugin(env);
      times.push(p.ms);
      p.child.kill('SIGTERM');
      await exited(p.child);
    }
    const plugin = await startPlugin(env);
    times.push(plugin.ms);
    times.sort((a, b) => a - b);
    console.info(
      `test/tf/null-provider: plugin start to handshake line: median ${times[2]!.toFixed(0)} ms ` +
        `(${times.map((t) => t.toFixed(0)).join(', ')})`,
    );

    const [core, proto, network, socket, kind, cert64] = plugin.line.split('|');
    expect([core, proto, network, kind]).toEqual(['1', '6', 'unix', 'grpc']);
    expect(cert64).toMatch(/^[A-Za-z0-9+/]+$/); // RawStdEncoding: no padding
    const serverPem = pemOf(Buffer.from(cert64!, 'base64'));
    const options = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' };
    const creds = (c: { keyPem: string; certPem: string }) =>
      credentials.createSsl(Buffer.from(serverPem), Buffer.from(c.keyPem), Buffer.from(c.certPem));

    // A stranger's certificate is refused.
    const stranger = new Client(`unix:${socket}`, creds(generatePluginCert()), options);
    await expect(unary(stranger, services.health, 'Check', { service: 'plugin' })).rejects.toThrow();
    stranger.close();

    const client = new Client(`unix:${socket}`, creds(clientCert), options);
    expect(await unary(client, services.health, 'Check', { service: 'plugin' })).toEqual({
      status: 'SERVING',
    });
    const schema = await unary(client, services.provider, 'GetProviderSchema', {});
    const resources = schema.resource_schemas as Record<
      string,
      { version: number; block: { attributes: unknown[] } }
    >;
    expect(Object.keys(resources)).toEqual(['null_resource']);
    expect(resources.null_resource!.version).toBe(0);
    expect(resources.null_resource!.block.attributes).toEqual([
      expect.objectContaining({ name: 'id', computed: true, type: Buffer.from('"string"') }),
      expect.objectContaining({ name: 'triggers', optional: true, type: Buffer.from('["map","string"]') }),
    ]);

    // A refined unknown in the configuration comes back byte for byte in the plan.
    const refined = new Unknown(0x0c, new Uint8Array([0x81, 0x01, 0xc2]));
    const plan = await unary(client, services.provider, 'PlanResourceChange', {
      type_name: 'null_resource',
      prior_state: { msgpack: Buffer.from(encodeMsgpack(null)) },
      proposed_new_state: { msgpack: Buffer.from(encodeMsgpack({ id: null, triggers: { a: refined } })) },
      config: { msgpack: Buffer.from(encodeMsgpack({ id: null, triggers: { a: refined } })) },
    });
    expect(decodeMsgpack((plan.planned_state as { msgpack: Buffer }).msgpack)).toEqual({
      id: UNKNOWN,
      triggers: { a: refined },
    });

    const other = await unary(client, services.provider, 'ValidateResourceConfig', {
      type_name: 'null_thing',
    });
    expect(JSON.stringify(other.diagnostics)).toContain('serves only the null_resource resource type');

    const t0 = performance.now();
    await unary(client, services.controller, 'Shutdown', {});
    client.close();
    expect(await exited(plugin.child)).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(plugin.stderr()).toBe('');
  });
});

// ---------------------------------------------------------------------------------------------
interface TfRun {
  code: number;
  out: string;
  ms: number;
}

const timings: string[] = [];
afterAll(() => {
  if (timings.length) console.info(`test/tf/null-provider: terraform timings:\n  ${timings.join('\n  ')}`);
});

/** Runs terraform in `cwd` with the test double installed; output is stdout and stderr together. */
function terraform(cwd: string, ...args: string[]): Promise<TfRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...installed.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  delete env.TF_LOG;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(TERRAFORM!, [...args, '-no-color'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      timings.push(`${args[0]!.padEnd(8)} ${ms.toFixed(0).padStart(5)} ms  (${path.basename(cwd)})`);
      resolve({ code: code ?? -1, out, ms });
    });
  });
}

const ok = async (cwd: string, ...args: string[]): Promise<string> => {
  const r = await terraform(cwd, ...args);
  if (r.code !== 0) throw new Error(`terraform ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r.out;
};

const REQUIRED_PROVIDERS = { null: { source: 'null', version: '3.2.4' } }; // as cdktf writes it

/** Two null_resources, b after a, each logging its create and destroy to log.txt. */
function lifecycleConfig(trigger: string): object {
  const logged = (name: string) => [
    { 'local-exec': { command: `echo create ${name} "\${self.id}" >> log.txt` } },
    { 'local-exec': { when: 'destroy', command: `echo destroy ${name} >> log.txt` } },
  ];
  return {
    terraform: { required_providers: REQUIRED_PROVIDERS },
    provider: { null: [{}] },
    resource: {
      null_resource: {
        a: { triggers: { v: trigger }, provisioner: logged('a') },
        b: {
          depends_on: ['null_resource.a'],
          triggers: { a: '${null_resource.a.id}' },
          provisioner: logged('b'),
        },
      },
    },
  };
}

const writeConfig = (dir: string, config: object) =>
  writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(config, null, 2));
const logLines = (dir: string) => readFileSync(path.join(dir, 'log.txt'), 'utf8').trim().split('\n');

// skipped only where terraform cannot run, with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!TERRAFORM)('under real terraform', () => {
  it('initializes, validates, applies, plans no change, replaces on a trigger change and destroys', async () => {
    const dir = tempDir('lifecycle');
    writeConfig(dir, lifecycleConfig('1'));

    const init = await ok(dir, 'init', '-input=false');
    expect(init).toContain(`Installed hashicorp/null v${installed.version}`);
    expect(await ok(dir, 'validate')).toContain('The configuration is valid');

    const apply = await ok(dir, 'apply', '-auto-approve', '-input=false');
    expect(apply).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.');
    const created = logLines(dir);
    expect(created.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['create a', 'create b']);
    for (const l of created) expect(l).toMatch(/^create [ab] \d{1,19}$/); // ids as hashicorp/null makes them

    const state = JSON.parse(readFileSync(path.join(dir, 'terraform.tfstate'), 'utf8')) as {
      resources: {
        name: string;
        instances: { schema_version: number; attributes: Record<string, unknown> }[];
      }[];
    };
    const a = state.resources.find((r) => r.name === 'a')!.instances[0]!;
    const b = state.resources.find((r) => r.name === 'b')!.instances[0]!;
    expect(a.schema_version).toBe(0);
    expect(a.attributes).toEqual({ id: created[0]!.split(' ')[2], triggers: { v: '1' } });
    expect(b.attributes.triggers).toEqual({ a: a.attributes.id });

    const noChange = await terraform(dir, 'plan', '-detailed-exitcode', '-input=false');
    expect(noChange.code, noChange.out).toBe(0);
    expect(noChange.out).toContain('No changes.');

    writeConfig(dir, lifecycleConfig('2'));
    const change = await terraform(dir, 'plan', '-detailed-exitcode', '-input=false');
    expect(change.code, change.out).toBe(2);
    expect(change.out).toContain('null_resource.a must be replaced');
    expect(change.out).toContain('# forces replacement');
    expect(change.out).toContain('Plan: 2 to add, 0 to change, 2 to destroy.');

    const replace = await ok(dir, 'apply', '-auto-approve', '-input=false');
    expect(replace).toContain('Resources: 2 added, 0 changed, 2 destroyed.');

    const destroy = await ok(dir, 'destroy', '-auto-approve', '-input=false');
    expect(destroy).toContain('Destroy complete! Resources: 2 destroyed.');
    const events = logLines(dir).map((l) => l.split(' ').slice(0, 2).join(' '));
    // The replacement destroys b (it depends on a) before a; destroy runs in reverse dependency order.
    expect(events.slice(2)).toEqual([
      'destroy b',
      'destroy a',
      'create a',
      'create b',
      'destroy b',
      'destroy a',
    ]);
  }, 120_000);

  it('refuses other types from the provider with a clear message', async () => {
    const dir = tempDir('other-types');
    writeConfig(dir, {
      terraform: { required_providers: REQUIRED_PROVIDERS },
      data: { null_data_source: { d: { inputs: { k: 'v' } } } },
    });
    await ok(dir, 'init', '-input=false');
    const data = await terraform(dir, 'validate');
    expect(data.code).toBe(1);
    expect(data.out).toContain('Data source null_data_source is not served by the null provider test double');
    expect(data.out.replace(/\s+/g, ' ')).toContain('It serves only the null_resource resource type.');

    // A type the schema does not declare is refused by Terraform itself, from that schema.
    writeConfig(dir, {
      terraform: { required_providers: REQUIRED_PROVIDERS },
      resource: { null_thing: { t: {} } },
    });
    const thing = await terraform(dir, 'validate');
    expect(thing.code).toBe(1);
    expect(thing.out).toContain('The provider hashicorp/null does not support resource type "null_thing".');
  }, 60_000);
});
