/**
 * Reading the secrets a step needs, at run time, from where the spec says (DESIGN §5): an
 * environment variable of the process that runs Terraform (local-exec inherits it), a file only
 * its owner can read, or a command such as a vault CLI run without a shell. Secrets never pass
 * through Terraform, so they are in no state, saved plan, trigger, manifest or argv; a value read
 * here is never logged, and neither is a command's output.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import type { SecretSource } from '../spec/schema';
import type { SecretsModel } from '../families/data-guard/model';

/** A secret: its value, or why it could not be read (naming where it was looked for, never a value). */
export type SecretValue = { ok: true; value: string } | { ok: false; problem: string };

export interface Secrets {
  sysdbaPassword: SecretValue;
  sshPassphrase: SecretValue;
}

/** How a source is named in messages: `environment variable X`, `file F`, `command C`. */
export function describeSource(s: SecretSource): string {
  if ('env' in s) return `environment variable ${s.env}`;
  if ('file' in s) return `file ${s.file}`;
  return `command ${s.command[0] ?? ''}`;
}

const COMMAND_TIMEOUT_MS = 30_000;
const expandHome = (p: string, env: NodeJS.ProcessEnv) =>
  p === '~' || p.startsWith('~/') ? (env.HOME ?? os.homedir()) + p.slice(1) : p;
/** The first line: what a secret file or a command (e.g. `vault kv get -field=...`) holds. */
const firstLine = (text: string) => text.split(/\r?\n/)[0] ?? '';
const errnoOf = (e: unknown) => (e as NodeJS.ErrnoException).code ?? 'error';

function fromFile(file: string, env: NodeJS.ProcessEnv): SecretValue {
  const p = expandHome(file, env);
  let mode: number;
  try {
    mode = statSync(p).mode;
  } catch (e) {
    return { ok: false, problem: `cannot read file ${file} (${errnoOf(e)})` };
  }
  // like ssh with a private key: a secret others can read is refused, not used
  if ((mode & 0o077) !== 0)
    return {
      ok: false,
      problem: `file ${file} has mode ${(mode & 0o777).toString(8)}, readable by others; fix: chmod 600 ${file}`,
    };
  let value: string;
  try {
    value = firstLine(readFileSync(p, 'utf8'));
  } catch (e) {
    return { ok: false, problem: `cannot read file ${file} (${errnoOf(e)})` };
  }
  return value ? { ok: true, value } : { ok: false, problem: `file ${file} is empty` };
}

function fromCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<SecretValue> {
  const [cmd, ...args] = argv;
  return new Promise((resolve) => {
    execFile(
      cmd ?? '',
      args,
      { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024, windowsHide: true, env },
      (err, stdout) => {
        // the command's output may hold the secret, and so may Node's message (it quotes stderr):
        // only the exit status, the signal or the errno is reported
        if (err) {
          const code: unknown = err.code;
          const why =
            code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
              ? 'printed more than 64 KiB'
              : err.killed && err.signal === 'SIGTERM'
                ? `timed out after ${COMMAND_TIMEOUT_MS / 1000} s`
                : typeof code === 'number'
                  ? `exited ${code}`
                  : err.signal
                    ? `was killed by ${err.signal}`
                    : `could not run (${typeof code === 'string' ? code : 'error'})`;
          return resolve({ ok: false, problem: `command ${cmd ?? ''} ${why}` });
        }
        const value = firstLine(String(stdout));
        resolve(value ? { ok: true, value } : { ok: false, problem: `command ${cmd ?? ''} printed nothing` });
      },
    );
  });
}

export async function readSecret(s: SecretSource, env: NodeJS.ProcessEnv): Promise<SecretValue> {
  if ('env' in s) {
    const v = env[s.env];
    return v ? { ok: true, value: v } : { ok: false, problem: `environment variable ${s.env} is not set` };
  }
  if ('file' in s) return fromFile(s.file, env);
  return fromCommand(s.command, env);
}

/** Both secrets of a plan or model. A missing SSH passphrase is fine while the default source is unset. */
export async function readSecrets(
  model: SecretsModel,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Secrets> {
  const [sysdbaPassword, sshPassphrase] = await Promise.all([
    readSecret(model.sysdbaPassword, env),
    readSecret(model.sshPassphrase, env),
  ]);
  return { sysdbaPassword, sshPassphrase };
}

/** The value, or undefined: for a secret that may be absent (an unencrypted key's passphrase). */
export const valueOf = (s: SecretValue): string | undefined => (s.ok ? s.value : undefined);

/** Given secrets, as tests and in-process callers hold them. */
export function givenSecrets(v: { sysdbaPassword?: string; sshPassphrase?: string }): Secrets {
  const of = (x: string | undefined, what: string): SecretValue =>
    x ? { ok: true, value: x } : { ok: false, problem: `no ${what} was given` };
  return {
    sysdbaPassword: of(v.sysdbaPassword, 'SYSDBA password'),
    sshPassphrase: of(v.sshPassphrase, 'SSH passphrase'),
  };
}
