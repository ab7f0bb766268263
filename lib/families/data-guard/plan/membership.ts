/**
 * The steps that change a running group's membership and restart its members: each standby marked
 * removed leaves (one at a time, after `lastJoin`; also in an MPP system), then, for a group of
 * single-instance databases outside an MPP system, one rolling-restart step (§6.19) after every
 * config and mode step.
 */
import { createHash } from 'node:crypto';
import path from 'node:path/posix';
import { canonicalJson } from '../../../plan/manifest';
import { isMpp, type GroupModel } from '../model';
import { ALL_HOSTS } from '../../../plan/step';
import { monDwIp } from '../render/topology';
import { joinsGroup, monitorFiles, monitoringIni, node0, optional, server, type PlanBuilder } from './parts';

/** The steps added, in order: what the group's watchers wait for besides its mode steps. */
export function planMembership(
  b: PlanBuilder,
  group: GroupModel,
  modesSoFar: readonly string[],
  lastJoinSoFar: string | undefined,
): string[] {
  const { model, add, steps } = b;
  const monitor = monitorFiles(b.files)[0];
  const pMode = modesSoFar[0] ?? '';
  const modes: string[] = [...modesSoFar];
  let lastJoin = lastJoinSoFar;
  // a standby marked removed leaves the running group; one membership change at a time (in an
  // MPP system within its group, from a host of its own: REMOVED_MEMBER)
  if (joinsGroup(model, group) || isMpp(model))
    for (const db of group.retired ?? []) {
      const s = node0(db);
      lastJoin = add({
        id: `${s.name}/leave`,
        phase: 'join',
        host: s.host,
        title: `if ${s.name} runs in ${group.name}: detach and stop it through the monitor (§6.18), DELETE ARCHIVELOG for it on every running member (MOUNT primary first, OPEN FORCE standbys first)${model.purgeData ? ', remove its database' : ''}`,
        manual: '§6.18, 7.10.4',
        after: [pMode, ...(lastJoin ? [lastJoin] : [])],
        params: {
          kind: 'leave',
          group: group.name,
          watcherIni: path.join(s.configPath, 'dmwatcher.ini'),
          ...(model.purgeData ? { purge: s.configPath } : {}),
          // §6.18: detached from a monitor that knows its watcher, which the spec's no longer names
          ...optional(
            'monitoringIni',
            monitor && monitoringIni(model, monitor, [{ group: group.name, dwIp: monDwIp(model, db) }]),
          ),
          ...server(s),
        },
      });
      modes.push(lastJoin);
    }
  // §6.19: one restart step per group of single-instance databases outside an MPP system
  if (joinsGroup(model, group)) {
    const members = group.databases.map((d) => ({ ...server(node0(d)), host: node0(d).host }));
    const configs = steps.filter(
      (s) =>
        s.params.kind === 'config' &&
        members.some((m) => m.instance === (s.params as { instance: string }).instance),
    );
    modes.push(
      add({
        id: `${group.name}/restart`,
        phase: 'restart',
        host: ALL_HOSTS,
        title: `restart the members that wait for it, one at a time, standbys first, the primary last${model.restarts === 'rolling' ? '' : ' (restarts: refuse: say which wait)'}`,
        manual: '§6.19, §6.4',
        after: [...configs.map((s) => s.id), ...modes],
        params: {
          kind: 'restart',
          group: group.name,
          rolling: model.restarts === 'rolling',
          members,
          configDigest: createHash('sha256')
            .update(canonicalJson(configs.map((s) => s.params)))
            .digest('hex'),
        },
      }),
    );
  }
  return modes.slice(modesSoFar.length);
}
