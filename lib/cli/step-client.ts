/**
 * The step process's side of the step broker (lib/cli/step-broker.ts). Terraform starts one
 * process per step; rather than load the step code, read the manifest and open SSH connections
 * itself, the process hands the step to the run's broker over a unix socket, with its arguments
 * and environment, and relays what the broker says to its own stdout and stderr and exits with
 * the step's status. The first step of a run starts the broker, in Terraform's process group
 * (so whatever ends Terraform's provisioners ends it too) with its output detached from
 * Terraform's pipes. It stops by itself when idle.
 *
 * Runs in the launcher (lib/cli/step-loader.ts) before the bundle is loaded: it imports only
 * node's own modules. undefined means "run the step in this process", as without a broker:
 * DMDEPLOY_STEP_BROKER=0, a dry run, no private place for the socket, or a broker that would
 * not start (said on stderr).
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import net from 'node:net';
import { brokerEnv, brokerSocket } from './step-socket';

/** The hidden command the launcher runs a broker with. */
export const BROKER_COMMAND = '__step-broker';
const START_TIMEOUT_MS = 5000;

/** What the broker sends, one JSON object per line. */
export type BrokerMessage = { accepted: true } | { out: string } | { err: string } | { exit: number };

/** What a step process asks, as the first line on the socket. */
export interface BrokerRequest {
  /** The arguments after `step`. */
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** performance.now() in the step process when it sent this: its start-up time. */
  sentMs: number;
}

function connectTo(socket: string): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const c = net.createConnection(socket);
    c.once('connect', () => {
      c.removeAllListeners('error');
      resolve(c);
    });
    c.once('error', () => resolve(undefined));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function brokerConnection(launcher: string, socket: string): Promise<net.Socket | undefined> {
  const live = await connectTo(socket);
  if (live) return live;
  const log = openSync(`${socket.slice(0, -'.sock'.length)}.log`, 'a', 0o600);
  const start = () => {
    const child = spawn(process.execPath, [launcher, BROKER_COMMAND, socket], {
      cwd: process.cwd(),
      env: brokerEnv(process.env),
      // never Terraform's pipes: local-exec waits for them to close
      stdio: ['ignore', log, log],
      detached: false,
    });
    child.on('error', () => undefined);
    child.unref();
    return child;
  };
  let child = start();
  let starts = 1;
  const until = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < until) {
    await sleep(10);
    const c = await connectTo(socket);
    if (c) return c;
    if (child.exitCode !== null && child.exitCode !== 0) break;
    // it found another broker serving, which has since stopped: start one again
    if (child.exitCode === 0 && starts < 3) {
      child = start();
      starts++;
    }
  }
  return undefined;
}

/** Runs `step …` through the broker: the exit status, or undefined to run it in this process. */
export async function stepThroughBroker(
  argv: readonly string[],
  launcher: string,
  bundleDir: string,
): Promise<number | undefined> {
  if (process.env.DMDEPLOY_STEP_BROKER === '0' || process.env.DMDEPLOY_SOURCES) return undefined;
  if (argv[0] !== 'step' || argv.includes('--dry-run') || argv.includes('--help')) return undefined;
  const m = argv.indexOf('--manifest');
  const manifest = m >= 0 ? argv[m + 1] : undefined;
  if (!manifest) return undefined;
  const socket = brokerSocket(bundleDir, manifest, process.cwd());
  if (!socket) return undefined;
  // a broker that was stopping when we connected drops the request unaccepted: nothing ran, so
  // asking again (a new broker if need be) is safe; once accepted, the step is never asked twice
  for (let attempt = 0; attempt < 3; attempt++) {
    const conn = await brokerConnection(launcher, socket);
    if (!conn) {
      process.stderr.write(
        `dmdeploy: the step broker did not start (see ${socket.slice(0, -5)}.log); running the step in this process\n`,
      );
      return undefined;
    }
    const status = await relay(conn, argv, socket);
    if (status !== undefined) return status;
  }
  process.stderr.write(`dmdeploy: the step broker dropped the step 3 times; running it in this process\n`);
  return undefined;
}

/** Sends the request and relays the answer: the step's status, or undefined if it was not accepted. */
function relay(conn: net.Socket, argv: readonly string[], socket: string): Promise<number | undefined> {
  const request: BrokerRequest = { argv: argv.slice(1), env: process.env, sentMs: performance.now() };
  conn.write(`${JSON.stringify(request)}\n`);
  return new Promise((resolve) => {
    let buffered = '';
    let accepted = false;
    let status: number | undefined;
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let m: BrokerMessage;
        try {
          m = JSON.parse(line) as BrokerMessage;
        } catch {
          continue; // not the broker's protocol: said below if no status comes
        }
        if ('accepted' in m) accepted = true;
        else if ('out' in m) process.stdout.write(m.out);
        else if ('err' in m) process.stderr.write(m.err);
        else status = m.exit;
      }
    });
    conn.on('error', () => undefined);
    conn.on('close', () => {
      if (!accepted) return resolve(undefined);
      if (status === undefined)
        process.stderr.write(
          `dmdeploy: step ${argv[1] ?? ''}: the step broker ended before the step did (see ${socket.slice(0, -5)}.log); ` +
            'the step may have been cut short: apply again to resume (completed steps are skipped)\n',
        );
      resolve(status ?? 1);
    });
  });
}
