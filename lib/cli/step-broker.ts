/**
 * The step broker: one process per run (per bundle, working directory and manifest; see
 * step-socket.ts) that runs the steps Terraform's step processes hand it (step-client.ts). It
 * parses the manifest once per version of the file rather than once per step, and keeps each
 * host's SSH connection between steps (lib/ssh/pool.ts) rather than connecting once per step:
 * on a 2-core machine these were most of a step's overhead.
 *
 * Each step runs as it would in its own process: with that process's environment (secrets,
 * HOME, SSH_AUTH_SOCK, DMDEPLOY_LOG), its connections to itself, its output on that process's
 * stdout and stderr, its exit status that process's. A step whose process goes away (Terraform
 * interrupted, the provisioner killed) is abandoned: its connections are closed, as its own
 * process's death would close them. The broker is in Terraform's process group, so killing the
 * group kills it; it exits by itself after DMDEPLOY_STEP_BROKER_IDLE_MS (default 5000) with no
 * step running.
 */
import { chmodSync, readFileSync, statSync, unlinkSync, type Stats } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseManifest } from '../plan/manifest';
import type { Plan } from '../plan/step';
import { ConnectionPool } from '../ssh/pool';
import { readSecrets } from '../steps/secrets';
import { loadManifest, stepCommand } from './remote';
import type { BrokerMessage, BrokerRequest } from './step-client';
import { flagValue, positionals, usage } from './usage';

/** A bad call, answered as `dmdeploy step` answers it: the help text, exit status 2. */
class UsageError extends Error {}

const idleMs = () => {
  const n = Number(process.env.DMDEPLOY_STEP_BROKER_IDLE_MS ?? 5000);
  return Number.isFinite(n) && n >= 0 ? n : 5000;
};

/** The parsed manifest, read again only when the file is replaced or changed. */
class Manifests {
  private readonly cache = new Map<string, { stamp: string; plan: Plan }>();
  load(file: string): Plan {
    const abs = path.resolve(file);
    let st: Stats;
    try {
      st = statSync(abs);
    } catch {
      return loadManifest(file); // throws what a step process reading it would
    }
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    const hit = this.cache.get(abs);
    if (hit?.stamp === stamp) return hit.plan;
    const plan = parseManifest(readFileSync(abs, 'utf8'), file);
    this.cache.set(abs, { stamp, plan });
    return plan;
  }
}

const log = (s: string) => process.stderr.write(`${new Date().toISOString()} [broker ${process.pid}] ${s}\n`);

function listen(server: net.Server, socket: string): Promise<boolean> {
  const attempt = () =>
    new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen(socket, () => {
        server.removeListener('error', resolve);
        resolve(undefined);
      });
    });
  return (async () => {
    const first = await attempt();
    if (!first) return true;
    if (first.code !== 'EADDRINUSE') throw first;
    // another broker listens (a step process that started one at the same time): leave it be
    const probe = await new Promise<string | undefined>((resolve) => {
      const c = net.createConnection(socket);
      c.once('connect', () => (c.destroy(), resolve(undefined)));
      c.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    if (probe !== 'ECONNREFUSED' && probe !== 'ENOENT') return false;
    // a socket file left by a broker that was killed (or already removed by a sibling)
    try {
      unlinkSync(socket);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const second = await attempt();
    if (second?.code === 'EADDRINUSE') return false; // a sibling bound it first: it serves
    if (second) throw second;
    return true;
  })();
}

/** `__step-broker <socket>`: serves until idle; 0 also when another broker already serves the socket. */
export async function brokerMain(socket: string): Promise<number> {
  const pool = new ConnectionPool();
  const manifests = new Manifests();
  let active = 0;
  let idle: NodeJS.Timeout | undefined;
  let served = 0;
  let stopping = false;
  // What would end a step's own process (an unhandled rejection or exception) ends the broker: every
  // step it runs fails, saying so, rather than one of them reporting success after it.
  const running = new Set<(m: BrokerMessage) => void>();
  const fatal = (e: unknown) => {
    const why = e instanceof Error ? e.message : String(e);
    log(`unexpected: ${why}`);
    for (const send of running) {
      send({
        err: `dmdeploy: the step broker failed (${why}); the step may have been cut short: apply again\n`,
      });
      send({ exit: 1 });
    }
    setTimeout(() => process.exit(1), 100);
  };
  process.on('unhandledRejection', fatal);
  process.on('uncaughtException', fatal);

  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = () => ((stopping = true), resolve())));
  const armIdle = () => {
    clearTimeout(idle);
    if (active === 0) idle = setTimeout(stop, idleMs());
  };

  const serve = async (conn: net.Socket, request: BrokerRequest, receivedMs: number) => {
    const send = (m: BrokerMessage) => {
      if (!conn.destroyed) conn.write(`${JSON.stringify(m)}\n`);
    };
    const gone = new AbortController();
    conn.on('close', () => gone.abort());
    running.add(send);
    const io = { out: (out: string) => send({ out }), err: (err: string) => send({ err }) };
    let status = 1;
    try {
      const rest = request.argv;
      const id = positionals(rest, ['--dry-run'])[0];
      const file = flagValue(rest, '--manifest');
      if (!id || !file) throw new UsageError('step needs a step id and --manifest <plan.json>');
      const plan = manifests.load(file);
      const secrets = await readSecrets(plan.secrets, request.env);
      status = await stepCommand(plan, id, secrets, io.out, io.err, {
        env: request.env,
        pool,
        startedMs: request.sentMs + (performance.now() - receivedMs),
        signal: gone.signal,
      });
    } catch (e) {
      if (e instanceof UsageError) status = usage(io, e.message);
      else send({ err: `dmdeploy: ${e instanceof Error ? e.message : String(e)}\n` });
    }
    running.delete(send);
    send({ exit: status });
    conn.end();
  };

  const server = net.createServer((conn) => {
    // stopping: dropped before it is accepted, so the step process asks a new broker
    if (stopping) return void conn.destroy();
    active++;
    clearTimeout(idle);
    const receivedMs = performance.now();
    let buffered = '';
    let started = false;
    const done = () => {
      active--;
      armIdle();
    };
    conn.setEncoding('utf8');
    conn.on('error', () => undefined);
    conn.on('data', (chunk: string) => {
      if (started) return;
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      started = true;
      served++;
      let request: BrokerRequest;
      try {
        request = JSON.parse(buffered.slice(0, nl)) as BrokerRequest;
      } catch {
        conn.destroy();
        return done();
      }
      conn.write(`${JSON.stringify({ accepted: true } satisfies BrokerMessage)}\n`);
      void serve(conn, request, receivedMs).finally(done);
    });
    // a connection that closes without a request (a liveness probe) is no step
    conn.on('close', () => {
      if (!started) done();
    });
  });

  if (!(await listen(server, socket))) return 0;
  server.on('error', fatal);
  chmodSync(socket, 0o600);
  const ours = statSync(socket).ino;
  log(`serving ${socket} in ${process.cwd()}`);
  armIdle();
  await stopped;
  server.close();
  try {
    // only if it is still ours: a broker that found it stale may have made a new one
    if (statSync(socket).ino === ours) unlinkSync(socket);
  } catch {
    // gone already
  }
  await pool.closeAll();
  log(`idle for ${idleMs()} ms after ${served} step${served === 1 ? '' : 's'}: exiting`);
  return 0;
}
