/** Starting and stopping dmserver, shared by the first start, the MOUNT start and teardown. */
import { shJoin } from '../../ssh';
import type { Remote } from '../remote';

interface Server {
  instance: string;
  iniPath: string;
  port: number;
}

/** dmserver detached from the SSH session; resolves once it printed SYSTEM IS READY (or fails with its refusal). */
export async function startServer(
  r: Remote,
  s: Server,
  o: { mount: boolean; dcrIni?: string; dpcMode?: string },
): Promise<void> {
  const argv = [
    r.bin('dmserver'),
    s.iniPath,
    // DMDPC (003 7.1.3): the role dminit gave it
    ...(o.dpcMode ? [`dpc_mode=${o.dpcMode}`] : []),
    ...(o.mount ? ['mount'] : []),
    ...(o.dcrIni ? [`DCR_INI=${o.dcrIni}`] : []),
    '-noconsole',
  ];
  r.ctx.progress(`${shJoin(argv)}`);
  await r.startDetached(`dmserver_${s.instance}`, argv, 'SYSTEM IS READY', 5 * 60_000);
}

/** SHUTDOWN through disql (a normal shutdown), then wait for the process to go. */
export async function shutdownServer(r: Remote, s: Server, o: { mppLocal?: boolean } = {}): Promise<void> {
  const pids = await r.pidsOf('dmserver', s.iniPath);
  if (!pids.length) return;
  const res = await r.disql(s.port, ['SHUTDOWN'], 60_000, o);
  // the session ends when the server goes; a lost connection after SHUTDOWN is not a failure
  if (res.exitCode !== 0 && (await r.pidsOf('dmserver', s.iniPath)).length === 0) return;
  if (res.exitCode !== 0)
    r.fail(
      `SHUTDOWN of ${s.instance} failed`,
      `${res.stdout}\n${res.stderr}`.trim(),
      'check the instance with disql',
    );
  await r.waitGone(pids, `dmserver ${s.instance}`, 5 * 60_000);
}
