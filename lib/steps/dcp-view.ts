/**
 * How `status` judges a DCP proxy's live view (V$DCPINSTS) against the MPP system as it runs now.
 * After a switchover the proxy keeps the old primaries until its scheduler reads the MPP's
 * configuration again, every 256 s by default, or until a failed transaction or
 * SP_DCP_REFRESH_CONFIG() makes it read at once (001:L1414-1416). A lag younger than that interval
 * is a warning; one older is a problem: the proxy's own refresh is not working. Pure.
 */
import type { ClusterStatus } from './status';

/** 001:L1414: "DCP 调度线程每过 256 秒会重新获取 MPP 配置". */
export const DCP_REFRESH_INTERVAL_S = 256;

/**
 * V$DCPINSTS as it should read now: for each spec primary's group, the instance that runs as
 * PRIMARY/OPEN, with the group's MPP_SEQ_NO (a switchover moves the role within a group, not the
 * EPNO). A group with no running primary keeps the spec's name: nothing better is known.
 */
export function wantedLiveView(
  primaries: readonly { name: string; epNo: number }[],
  groups: ClusterStatus['groups'],
): string[] {
  return primaries
    .map((p) => {
      const name = p.name.toUpperCase();
      const g = groups.find((x) => x.databases.some((d) => d.instance.toUpperCase() === name));
      const now = g?.databases.find((d) => d.mode === 'PRIMARY' && d.status === 'OPEN');
      return `${(now?.instance ?? p.name).toUpperCase()}:${p.epNo}`;
    })
    .sort();
}

/**
 * The key of a lag to time: the view and the running primaries, when they differ; undefined when
 * they agree, and for an empty view (a problem at once, not a lag).
 */
export function viewMismatch(live: readonly string[], want: readonly string[]): string | undefined {
  return !live.length || live.join(',') === want.join(',')
    ? undefined
    : `${live.join(',')}>${want.join(',')}`;
}

/**
 * A proxy's view against the running primaries. `lagS` is how long status has seen this same
 * mismatch, looking at least once per refresh interval (undefined: it could not tell), measured
 * on the proxy's host (lib/steps/kinds/dcp.ts viewLagS).
 */
export function judgeProxyView(o: {
  instance: string;
  live: readonly string[];
  want: readonly string[];
  lagS?: number;
}): { problem?: string; warning?: string } {
  if (o.live.join(',') === o.want.join(',')) return {};
  // 001:L262: a proxy serves only once a refresh has succeeded
  if (!o.live.length)
    return {
      problem: `DCP proxy ${o.instance} has no view of the MPP system (V$DCPINSTS is empty) and serves no client: run SP_DCP_REFRESH_CONFIG() over its DCP_PORT_NUM once every EP is OPEN, or apply`,
    };
  const sees = `DCP proxy ${o.instance} sees primaries ${o.live.join(', ') || 'none'}; the MPP system runs ${o.want.join(', ')}`;
  if (o.lagS === undefined || o.lagS < DCP_REFRESH_INTERVAL_S)
    return {
      warning:
        `${sees} (${o.lagS === undefined ? 'for how long is unknown' : `seen for ${o.lagS} s`}): ` +
        `after a switchover it reads the MPP configuration again within ${DCP_REFRESH_INTERVAL_S} s (001:L1414-1416), ` +
        'or at once on SP_DCP_REFRESH_CONFIG()',
    };
  return {
    problem:
      `${sees}, for ${o.lagS} s, longer than its ${DCP_REFRESH_INTERVAL_S} s refresh: its clients reach old primaries. ` +
      'Run SP_DCP_REFRESH_CONFIG() over its DCP_PORT_NUM, and check that its SYSDCPLOGIN user can log in to every EP',
  };
}
