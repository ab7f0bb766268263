/**
 * Where a step reads its secrets: the environment, an owner-only file, a command. Each missing or
 * unsafe source is refused with where it was looked for, and never with the value.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSecret, readSecrets } from '../../lib/steps/secrets';
import { stepCommand } from '../../lib/cli/remote';
import { planCluster } from '../../lib/plan';
import { validateSpec } from '../../lib/validate';
import { realtimePair } from '../support/specs';

const dir = mkdtempSync(path.join(tmpdir(), 'dm-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const VALUE = 'Sysdba_Pw_5150';

describe('readSecret', () => {
  it('reads an environment variable, and names it when unset', async () => {
    expect(await readSecret({ env: 'DM_X' }, { DM_X: VALUE })).toEqual({ ok: true, value: VALUE });
    expect(await readSecret({ env: 'DM_X' }, {})).toEqual({
      ok: false,
      problem: 'environment variable DM_X is not set',
    });
  });

  it('reads the first line of an owner-only file, and refuses one others can read', async () => {
    const f = path.join(dir, 'pw');
    writeFileSync(f, `${VALUE}\n`);
    chmodSync(f, 0o600);
    expect(await readSecret({ file: f }, {})).toEqual({ ok: true, value: VALUE });
    chmodSync(f, 0o644);
    const r = await readSecret({ file: f }, {});
    expect(r).toEqual({
      ok: false,
      problem: `file ${f} has mode 644, readable by others; fix: chmod 600 ${f}`,
    });
    expect(await readSecret({ file: path.join(dir, 'none') }, {})).toMatchObject({
      ok: false,
      problem: expect.stringContaining('ENOENT') as string,
    });
    // a directory where the file should be: refused by name, not thrown
    const sub = path.join(dir, 'sub');
    mkdirSync(sub, { mode: 0o700 });
    expect(await readSecret({ file: sub }, {})).toEqual({
      ok: false,
      problem: `cannot read file ${sub} (EISDIR)`,
    });
    // only the first line is the secret
    writeFileSync(f, `${VALUE}\nsecond line\n`);
    chmodSync(f, 0o600);
    expect(await readSecret({ file: f }, {})).toEqual({ ok: true, value: VALUE });
  });

  it("reads a command's output without a shell, and reports only its exit status when it fails", async () => {
    expect(await readSecret({ command: [process.execPath, '-e', `console.log('${VALUE}')`] }, {})).toEqual({
      ok: true,
      value: VALUE,
    });
    const failed = await readSecret(
      { command: [process.execPath, '-e', `console.log('${VALUE}'); process.exit(3)`] },
      {},
    );
    expect(failed).toEqual({ ok: false, problem: `command ${process.execPath} exited 3` });
    expect(JSON.stringify(failed)).not.toContain(VALUE);
    // killed by a signal, after writing the secret to stderr: neither the stderr nor argv is quoted
    const killed = await readSecret(
      {
        command: [process.execPath, '-e', `console.error('${VALUE}'); process.kill(process.pid, 'SIGKILL')`],
      },
      {},
    );
    expect(killed).toEqual({ ok: false, problem: `command ${process.execPath} was killed by SIGKILL` });
    // a shell would expand this; without one it is a file name that does not exist
    expect(await readSecret({ command: ['$(echo', 'x)'] }, {})).toMatchObject({ ok: false });
  });

  it('reads both secrets of a plan; the passphrase may be absent', async () => {
    const s = await readSecrets(
      { sysdbaPassword: { env: 'DM_SYSDBA_PASSWORD' }, sshPassphrase: { env: 'DM_SSH_PASSPHRASE' } },
      { DM_SYSDBA_PASSWORD: VALUE },
    );
    expect(s.sysdbaPassword).toEqual({ ok: true, value: VALUE });
    expect(s.sshPassphrase.ok).toBe(false);
  });
});

describe('a step whose configured SSH passphrase source fails', () => {
  it('fails before any connection, naming the step, the source and the problem', async () => {
    const v = validateSpec({
      ...realtimePair(),
      secrets: { sshPassphrase: { file: path.join(dir, 'no-such') } },
    });
    if (!v.model) throw new Error('invalid spec');
    const plan = planCluster(v.model);
    const secrets = await readSecrets(plan.secrets, { DM_SYSDBA_PASSWORD: VALUE });
    const errors: string[] = [];
    const saved = process.env.DMDEPLOY_LOG;
    process.env.DMDEPLOY_LOG = path.join(dir, 'dmdeploy.log');
    try {
      const code = await stepCommand(
        plan,
        'cluster/preflight',
        secrets,
        () => undefined,
        (s) => errors.push(s),
      );
      expect(code).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.DMDEPLOY_LOG;
      else process.env.DMDEPLOY_LOG = saved;
    }
    expect(errors.join('')).toContain(
      `step cluster/preflight on * failed: no SSH key passphrase: cannot read file ${path.join(dir, 'no-such')} (ENOENT); fix: make file ${path.join(dir, 'no-such')} give it`,
    );
  });
});
