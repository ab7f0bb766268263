// What the end-to-end tests count as a change on a host (test/e2e/dmsim-log.ts): a confirm
// monitor a watcher refused exited at once and changed nothing.
import { describe, expect, it } from 'vitest';
import { confirmMonitorStarts, mutatingCommands, type HostRecord } from '../e2e/dmsim-log';

const rec = (t: number, host: string, pid: number, event: string, extra: Record<string, unknown> = {}) =>
  ({ t: new Date(t * 1000).toISOString(), host, pid, tool: 'dmmonitor', event, ...extra }) as HostRecord;

describe('confirm monitor starts', () => {
  it('counts a start unless that process was refused; a refusal belongs to the latest start of its pid', () => {
    const log = [
      rec(1, 'M', 100, 'start', { confirm: true }), // stayed, exited later
      rec(2, 'M', 100, 'exit'),
      rec(3, 'M', 200, 'start', { confirm: true }), // refused
      rec(3, 'M', 200, 'refused', { reason: 'already has a confirm monitor' }),
      rec(4, 'M', 100, 'start', { confirm: true }), // pid 100 reused: this one was refused, not the first
      rec(4, 'M', 100, 'refused'),
      rec(5, 'N', 200, 'start', { confirm: true }), // same pid on another host: stayed
      rec(6, 'M', 300, 'start', { confirm: false }), // a monitoring-mode monitor: not a confirm start
    ];
    expect(confirmMonitorStarts(log).map((r) => [r.host, r.pid, r.t])).toEqual([
      ['M', 100, log[0]?.t],
      ['N', 200, log[6]?.t],
    ]);
    expect(mutatingCommands(log)).toEqual([log[0], log[6]]);
  });
});
