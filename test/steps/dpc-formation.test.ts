// An apply that lost its state while an MP RAFT group forms (003 7.3.3-7.3.7): MP1 was stopped
// for the backup that seeds the other MPs, or runs in MOUNT waiting for them. Its bootstrap start
// must not start it again, and the registration, made before that backup, must not ask an MP
// that cannot answer yet: the records on the hosts say how far it got.
import { describe, expect, it } from 'vitest';
import { dpcRegister, dpcStart } from '../../lib/steps/kinds/dpc';
import type { StepOf } from '../../lib/steps/kinds/types';
import { StepError } from '../../lib/steps/error';
import { fakeContext } from '../support/fake-remote';

const record = (id: string) => `/dm/dmdeploy/steps/${id.replace(/\//g, '__')}.done`;
const REGISTERED = { path: '/dm/dmdeploy/dpc-registered.json', content: '{"rafts":[]}' };
const MPS = ['MP1', 'MP2', 'MP3'].map((m, i) => ({
  instance: m,
  host: 'H',
  port: 5236 + i,
  iniPath: `/dm/data/${m}/dm.ini`,
}));

/** Host H: no dmserver runs, no MP answers, and these files exist. */
function host(files: Record<string, string>) {
  const ex = {
    hostNames: () => ['H'],
    exec: (_h: string, command: string) =>
      Promise.resolve(
        command.includes('ps -eww')
          ? { exitCode: 0, stdout: 'net:[4026532001]\n', stderr: '' }
          : { exitCode: 1, stdout: '[-70028]:创建SOCKET连接失败\n', stderr: '' },
      ),
    exists: (_h: string, p: string) => Promise.resolve(p in files),
    readFile: (_h: string, p: string) => Promise.resolve(Buffer.from(files[p] ?? '')),
  };
  return fakeContext(ex);
}

const mp1Start = {
  id: 'MP1/start',
  host: 'H',
  params: {
    kind: 'dpc-start',
    mode: 'MP',
    ...MPS[0],
    bootstrap: [],
    group: MPS,
    formation: { backup: 'MP1/backup', leader: 'MP_RAFT/leader' },
  },
} as unknown as StepOf<'dpc-start'>;

const register = (mps = MPS) =>
  ({
    id: 'cluster/register',
    host: 'H',
    params: { kind: 'dpc-register', mps, catalogue: { instances: [] }, record: REGISTERED },
  }) as unknown as StepOf<'dpc-register'>;

describe('MP1 of an MP RAFT group, its state lost part-way through forming the group', () => {
  it('is left stopped once it was backed up for its group: its MOUNT start brings it back', async () => {
    // its own record may be missing: a start cut short before it, which the next apply found running
    for (const files of [
      { [record('MP1/start')]: '', [record('MP1/backup')]: '' },
      { [record('MP1/backup')]: '' },
    ])
      expect(await dpcStart.probe(host(files), mp1Start), JSON.stringify(files)).toMatch(
        /bootstrapped and backed up for its group/,
      );
  });

  it('is started (again) before its backup, and once its group formed', async () => {
    for (const files of [
      {},
      { [record('MP1/start')]: '' },
      { [record('MP1/start')]: '', [record('MP1/backup')]: '', [record('MP_RAFT/leader')]: '' },
    ])
      expect(await dpcStart.probe(host(files), mp1Start), JSON.stringify(files)).toBeUndefined();
  });

  it('the registration, recorded on every host, is not asked of an MP group that does not lead yet', async () => {
    const ctx = host({ [REGISTERED.path]: REGISTERED.content });
    expect(await dpcRegister.probe(ctx, register())).toMatch(
      /registered before its group formed .*MP1: \[-70028\]/,
    );
  });

  it('without that record, or with one MP, no MP answering is a failure', async () => {
    for (const [files, mps] of [
      [{}, MPS],
      [{ [REGISTERED.path]: '{"rafts":["another"]}' }, MPS],
      [{ [REGISTERED.path]: REGISTERED.content }, MPS.slice(0, 1)],
    ] as const) {
      const e = await dpcRegister.probe(host(files), register([...mps])).catch((x: unknown) => x);
      expect(e, JSON.stringify(files)).toBeInstanceOf(StepError);
      expect((e as Error).message).toContain('no MP is OPEN to take the registrations');
    }
  });
});
