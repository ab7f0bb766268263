/** Group shape: standby counts, async/sync standbys and timers, DMDSC and MPP (§2.2.11, §2.5, §2.7, §2.8, 7.4-7.7). */
import {
  allDatabases,
  allInstances,
  isGuardMember,
  isMpp,
  type DatabaseModel,
  type GroupModel,
  type TimerModel,
} from '../model';
import { at, defineRule, inRange, type Reporter } from '../../../validate/rule';

const MAX_TARGETS = 8;

function role<R extends DatabaseModel['role']>(g: GroupModel, r: R): (DatabaseModel & { role: R })[] {
  return g.databases.filter((d): d is DatabaseModel & { role: R } => d.role === r);
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;

/** §5.6 table 5.6: the meaning and range of each dmtimer.ini field depends on TYPE. */
function timerProblems(t: TimerModel): { field: string; message: string; fix: string }[] {
  const out: { field: string; message: string; fix: string }[] = [];
  const bad = (field: string, message: string, fix: string) => out.push({ field, message, fix });
  if (!inRange(t.type, 1, 10))
    bad(
      'type',
      `TYPE ${t.type} is not 1-10`,
      'use TYPE 2 (daily) as in manual 7.6.3.4, or another TYPE of §5.6',
    );
  if (t.type === 2 && !inRange(t.freqMonthWeekInterval, 1, 100))
    bad(
      'freqMonthWeekInterval',
      `FREQ_MONTH_WEEK_INTERVAL ${t.freqMonthWeekInterval} is not 1-100 for a daily timer`,
      'use 1 to run every day',
    );
  if (t.type === 3 && !inRange(t.freqSubInterval, 1, 127))
    bad(
      'freqSubInterval',
      `FREQ_SUB_INTERVAL ${t.freqSubInterval} is not a weekday mask 1-127`,
      'set bit 0 for Sunday ... bit 6 for Saturday',
    );
  if (t.type === 4 && !inRange(t.freqSubInterval, 1, 31))
    bad('freqSubInterval', `FREQ_SUB_INTERVAL ${t.freqSubInterval} is not a day of month 1-31`, 'use 1-31');
  if (t.type >= 5 && t.type <= 9 && !inRange(t.freqSubInterval, 1, 7))
    bad(
      'freqSubInterval',
      `FREQ_SUB_INTERVAL ${t.freqSubInterval} is not a weekday 1-7`,
      'use 1 (Monday) to 7 (Sunday)',
    );
  if (t.type >= 2 && t.type <= 9 && !inRange(t.freqMinuteInterval, 0, 1439))
    bad(
      'freqMinuteInterval',
      `FREQ_MINUTE_INTERVAL ${t.freqMinuteInterval} is not 0-1439`,
      'use 0 (once a day) up to 1439',
    );
  if (t.type !== 10) {
    if (!TIME.test(t.startTime))
      bad('startTime', `START_TIME "${t.startTime}" is not hh:mm:ss`, 'write a time such as 00:00:00');
    if (!TIME.test(t.endTime))
      bad('endTime', `END_TIME "${t.endTime}" is not hh:mm:ss`, 'write a time such as 23:59:59');
    if (!TIMESTAMP.test(t.duringStartDate))
      bad(
        'duringStartDate',
        `DURING_START_DATE "${t.duringStartDate}" is not yyyy-mm-dd hh:mm:ss`,
        'write a timestamp such as 2024-01-01 00:00:00',
      );
  }
  if (t.noEndDateFlag !== 1) {
    if (!TIMESTAMP.test(t.duringEndDate))
      bad(
        'duringEndDate',
        `DURING_END_DATE "${t.duringEndDate}" is not yyyy-mm-dd hh:mm:ss`,
        'write a timestamp, or set noEndDateFlag: 1',
      );
    else if (TIMESTAMP.test(t.duringStartDate) && t.duringEndDate <= t.duringStartDate)
      bad(
        'duringEndDate',
        `DURING_END_DATE ${t.duringEndDate} is not after DURING_START_DATE ${t.duringStartDate}`,
        'move the end after the start',
      );
  }
  if (t.noEndDateFlag !== 0 && t.noEndDateFlag !== 1)
    bad('noEndDateFlag', `NO_END_DATE_FLAG ${t.noEndDateFlag} is not 0 or 1`, 'use 0 or 1');
  if (t.isValid !== 1)
    bad('isValid', `IS_VALID ${t.isValid}: a disabled timer never sends archives (§6.21)`, 'set isValid: 1');
  return out;
}

export const topologyRules = [
  defineRule({
    code: 'REMOVED_MEMBER',
    severity: 'error',
    manual: '§6.18, 7.10.4',
    rule: 'Only a single-instance realtime or timely standby can be marked removed: of a group of single-instance databases, or of an MppGroup from a host of its own.',
    check({ spec, model }, report) {
      type Flagged = { removed?: boolean };
      const p = (spec as { primary?: Flagged }).primary;
      if (p?.removed)
        report(
          at('', 'primary.removed'),
          'the primary cannot leave its group',
          'switch over to a standby first (dmmonitor), make it the spec primary, then remove the old one',
        );
      // only realtime or timely standbys leave online; elsewhere the flag would be ignored
      const s = spec as {
        asyncStandbys?: Flagged[];
        syncStandbys?: Flagged[];
        groups?: { primary?: Flagged; standbys?: Flagged[] }[];
      };
      for (const k of ['asyncStandbys', 'syncStandbys'] as const)
        (s[k] ?? []).forEach((x, i) => {
          if (x.removed)
            report(
              at('', `${k}[${i}].removed`),
              'an async or sync standby does not leave a running group online',
              'leave removed out',
            );
        });
      (s.groups ?? []).forEach((g, gi) => {
        if (g.primary?.removed)
          report(
            at('', `groups[${gi}].primary.removed`),
            'the primary cannot leave its group',
            'switch over to a standby first (dmmonitor), make it the spec primary, then remove the old one',
          );
      });
      // one watcher per host guards every instance on it (7.4.7): a leaving MPP standby must have
      // its host to itself, so that stopping its watcher leaves no other instance unguarded
      const hostsOf = (name: string) =>
        allInstances(model)
          .filter((i) => i.name !== name)
          .map((i) => i.host);
      model.groups.forEach((g) => {
        for (const d of g.retired ?? []) {
          const single = d.layout !== 'dsc' && d.instances.length === 1;
          if (isMpp(model) && single) {
            const i = d.instances[0];
            if (i && hostsOf(i.name).includes(i.host))
              report(
                at(d.specPath, 'removed'),
                `${d.id} shares host ${i.host} with another instance of the MPP system, whose dmwatcher also guards it (7.4.7)`,
                'a standby of an MppGroup leaves online only from a host of its own; leave removed out',
              );
            continue;
          }
          if (isMpp(model) || g.databases.some((x) => x.layout === 'dsc' || x.instances.length !== 1))
            report(
              at(d.specPath, 'removed'),
              `${d.id} cannot leave group ${g.name} online: dmdeploy removes a single-instance standby only, from a group of single-instance databases or of an MPP system`,
              'leave removed out',
            );
        }
      });
    },
  }),
  defineRule({
    code: 'STANDBY_COUNT',
    severity: 'error',
    manual: '§2.2.11.4, §2.2.11.5, 7.2, 7.3',
    rule: 'A group has 1 to 8 realtime or timely standbys.',
    check({ model }, report) {
      model.groups.forEach((g) => {
        const n = role(g, 'standby').length;
        if (n < 1 || n > MAX_TARGETS)
          report(
            at(g.specPath, 'standbys'),
            `group ${g.name} has ${n} standbys`,
            n < 1 ? 'add at least one standby' : `keep at most ${MAX_TARGETS} standbys per group`,
          );
      });
    },
  }),
  defineRule({
    code: 'SYNC_STANDBY_COUNT',
    severity: 'error',
    manual: '§2.2.11, 7.7',
    rule: 'A group has at most 8 sync standbys (each primary-capable member sends to all of them).',
    check({ model }, report) {
      model.groups.forEach((g) => {
        const n = role(g, 'sync').length;
        if (n > MAX_TARGETS)
          report(
            at(g.specPath, 'syncStandbys'),
            `group ${g.name} has ${n} sync standbys`,
            `keep at most ${MAX_TARGETS}`,
          );
      });
    },
  }),
  defineRule({
    code: 'ASYNC_PER_SOURCE',
    severity: 'error',
    manual: '§2.2.11.6',
    rule: 'A source database sends to at most 8 async standbys.',
    check({ model }, report) {
      model.groups.forEach((g) => {
        const bySource = new Map<string, DatabaseModel[]>();
        for (const d of role(g, 'async')) bySource.set(d.source, [...(bySource.get(d.source) ?? []), d]);
        // async standbys of the primary are also sent by every standby (7.6.4): count them together
        for (const [source, list] of bySource)
          if (list.length > MAX_TARGETS)
            report(
              at(list[MAX_TARGETS]?.specPath ?? g.specPath, 'source'),
              `${list.length} async standbys receive from ${source}`,
              `keep at most ${MAX_TARGETS} per source; cascade the others from an async standby (7.6.6)`,
            );
      });
    },
  }),
  defineRule({
    code: 'MONITOR_ASYNC_LIMIT',
    severity: 'error',
    manual: '§2.8',
    rule: 'One monitor watches at most 16 async standbys.',
    check({ model }, report) {
      const n = allDatabases(model).filter((d) => d.role === 'async').length;
      if (model.monitor && n > 16)
        report(
          'asyncStandbys',
          `the monitor would watch ${n} async standbys`,
          'keep at most 16 async standbys in one cluster spec',
        );
    },
  }),
  defineRule({
    code: 'ASYNC_TIMER_REQUIRED',
    severity: 'error',
    manual: '§2.8, 7.6.3.4',
    rule: 'Every async standby has a timer (dmtimer.ini) that triggers sending archives to it.',
    check({ model }, report) {
      for (const d of allDatabases(model))
        if (d.role === 'async' && !d.timer)
          report(
            at(d.specPath, 'timer'),
            `async standby ${d.id} has no timer, so its source would never send it archives`,
            "add timer: {} for the manual's daily timer (00:00:00), or set its fields",
          );
    },
  }),
  defineRule({
    code: 'TIMER_INVALID',
    severity: 'error',
    manual: '§5.6, §6.21',
    rule: 'Timer fields are in the ranges §5.6 gives for the timer TYPE, times parse, the end is after the start, and IS_VALID = 1.',
    check({ model }, report) {
      for (const d of allDatabases(model))
        if (d.role === 'async' && d.timer)
          for (const p of timerProblems(d.timer))
            report(at(at(d.specPath, 'timer'), p.field), p.message, p.fix);
    },
  }),
  defineRule({
    code: 'TIMER_CONFLICT',
    severity: 'error',
    manual: '§5.6',
    rule: 'Timers with the same name on one source have the same settings (dmtimer.ini has one section per name).',
    check({ model }, report) {
      model.groups.forEach((g) => {
        const seen = new Map<string, { json: string; path: string }>();
        for (const d of role(g, 'async')) {
          if (!d.timer) continue;
          const guard = g.databases.find((x) => x.id === d.source && isGuardMember(x));
          const key = `${guard ? '(group)' : d.source}/${d.timer.name}`;
          const json = JSON.stringify(d.timer);
          const first = seen.get(key);
          if (first && first.json !== json)
            report(
              at(at(d.specPath, 'timer'), 'name'),
              `timer ${d.timer.name} is defined differently at ${first.path}`,
              'give the timers different names, or the same settings',
            );
          else if (!first) seen.set(key, { json, path: at(d.specPath, 'timer') });
        }
      });
    },
  }),
  defineRule({
    code: 'ASYNC_SOURCE_UNKNOWN',
    severity: 'error',
    manual: '7.6',
    rule: "An async standby's source is an instance of the same group.",
    check({ model }, report) {
      model.groups.forEach((g) => {
        for (const d of role(g, 'async'))
          if (!g.databases.some((x) => x.id === d.source))
            report(
              at(d.specPath, 'source'),
              `source "${d.source}" of async standby ${d.id} is not an instance of group ${g.name}`,
              `name the primary, a standby or another async standby of ${g.name}`,
            );
      });
    },
  }),
  defineRule({
    code: 'ASYNC_SOURCE_INVALID',
    severity: 'error',
    manual: '§2.2.11.6, §2.8',
    rule: 'An async source is a Primary/Standby member or another async standby (cascade); never itself or a sync standby.',
    check({ model }, report) {
      model.groups.forEach((g) => {
        for (const d of role(g, 'async')) {
          const src = g.databases.find((x) => x.id === d.source);
          if (!src) continue;
          if (src === d)
            report(
              at(d.specPath, 'source'),
              `async standby ${d.id} names itself as source`,
              'name the primary or another async standby',
            );
          else if (src.role === 'sync')
            report(
              at(d.specPath, 'source'),
              `source ${src.id} is a sync standby`,
              'use the primary, a standby or an async standby as source',
            );
        }
      });
    },
  }),
  defineRule({
    code: 'ASYNC_CASCADE_CYCLE',
    severity: 'error',
    manual: '§2.8, 7.6.6',
    rule: 'A cascade of async standbys leads back to the group (no cycles); each cascaded standby has exactly one source.',
    check({ model }, report) {
      model.groups.forEach((g) => {
        const byId = new Map(g.databases.map((d) => [d.id, d]));
        for (const d of role(g, 'async')) {
          const seen = new Set<string>([d.id]);
          let cur = byId.get(d.source);
          while (cur && cur.role === 'async') {
            if (seen.has(cur.id)) {
              report(
                at(d.specPath, 'source'),
                `async standby ${d.id} is part of a source cycle (${[...seen].join(' -> ')})`,
                'make the chain start at the primary',
              );
              break;
            }
            seen.add(cur.id);
            cur = byId.get(cur.source);
          }
        }
      });
    },
  }),
  defineRule({
    code: 'ASYNC_SEND_DELAY_RANGE',
    severity: 'error',
    manual: '§5.3',
    rule: 'ARCH_SEND_DELAY is 0-1440 minutes.',
    check({ model }, report) {
      for (const d of allDatabases(model))
        if (d.role === 'async' && d.sendDelay !== undefined && !inRange(d.sendDelay, 0, 1440))
          report(
            at(d.specPath, 'sendDelay'),
            `ARCH_SEND_DELAY ${d.sendDelay} is outside 0-1440`,
            'use 0-1440 minutes',
          );
    },
  }),
  defineRule({
    code: 'SYNC_RECOVER_TIME_RANGE',
    severity: 'error',
    manual: '7.7.3.3',
    rule: 'ARCH_RECOVER_TIME of a sync standby is a positive number of seconds.',
    check({ model }, report) {
      for (const d of allDatabases(model))
        if (d.role === 'sync' && !inRange(d.recoverTime, 1, 86400))
          report(
            at(d.specPath, 'recoverTime'),
            `ARCH_RECOVER_TIME ${d.recoverTime} is not 1-86400`,
            'use 1 as in manual 7.7.3.3',
          );
    },
  }),
  defineRule({
    code: 'DSC_NODE_COUNT',
    severity: 'error',
    manual: '§2.7, 7.5.2',
    rule: 'A DMDSC database has at least two nodes.',
    check({ model }, report) {
      for (const d of allDatabases(model))
        if (d.layout === 'dsc' && d.instances.length < 2)
          report(
            at(d.specPath, 'nodes'),
            `DMDSC database ${d.id} has ${d.instances.length} node`,
            'list every DSC node (at least two), node 0 first; a single node is a plain database',
          );
    },
  }),
  defineRule({
    code: 'DSC_DCR_INI_REQUIRED',
    severity: 'error',
    manual: '§5.4, 7.5.8',
    rule: 'Every DMDSC node names its dmdcr.ini (DCR_INI of its watcher and dmserver).',
    check({ model }, report) {
      for (const d of allDatabases(model))
        if (d.layout === 'dsc')
          for (const i of d.instances)
            if (!i.dcrIni)
              report(
                at(i.specPath, 'dcrIni'),
                `DSC node ${i.name} has no dcrIni`,
                'set dcrIni to the dmdcr.ini path of this node, e.g. /dm/data/DSC/conf/dmdcr1.ini',
              );
    },
  }),
  defineRule({
    code: 'DSC_ARCHIVE_DIR_DUPLICATE',
    severity: 'error',
    manual: '§5.3 ARCH_LOCAL_SHARE, 7.5.3.1',
    rule: 'Each DMDSC node has its own local archive directory (another node receives it as REMOTE ARCH_INCOMING_PATH).',
    check({ model }, report) {
      for (const d of allDatabases(model)) {
        if (d.layout !== 'dsc') continue;
        const seen = new Map<string, string>();
        for (const i of d.instances) {
          const first = seen.get(i.archiveDir);
          if (first)
            report(
              at(i.specPath, 'archiveDir'),
              `archive directory ${i.archiveDir} is also node ${first}'s`,
              'give each node its own archive directory, e.g. +DMDATA/DSC/DSC02/arch',
            );
          else seen.set(i.archiveDir, i.name);
        }
      }
    },
  }),
  defineRule({
    code: 'DSC_TO_DSC',
    severity: 'error',
    manual: '7.5',
    rule: 'DM8 builds data guard between single nodes or between a DMDSC cluster and single nodes; not between two DMDSC clusters.',
    check({ model }, report) {
      model.groups.forEach((g) => {
        const members = g.databases.filter(isGuardMember);
        if (members[0]?.layout !== 'dsc') return;
        for (const d of members.slice(1))
          if (d.layout === 'dsc')
            report(
              at(d.specPath, 'nodes'),
              `standby ${d.id} is a DMDSC cluster and so is the primary`,
              'use single-node standbys with a DMDSC primary',
            );
      });
    },
  }),
  defineRule({
    code: 'DSC_IN_MPP',
    severity: 'error',
    manual: '§2.5 table 2.3',
    rule: 'MPP data guard does not support DMDSC.',
    check({ model }, report) {
      if (!isMpp(model)) return;
      for (const d of allDatabases(model))
        if (d.layout === 'dsc')
          report(
            at(d.specPath, 'nodes'),
            `${d.id} is a DMDSC cluster inside an MPP group`,
            'use single-node databases in an MppGroup',
          );
    },
  }),
  defineRule({
    code: 'MPP_GROUP_COUNT',
    severity: 'error',
    manual: '7.4.1',
    rule: 'An MppGroup has at least two MPP nodes (groups).',
    check({ model }, report) {
      if (isMpp(model) && model.groups.length < 2)
        report(
          'groups',
          `an MPP system needs at least 2 nodes, got ${model.groups.length}`,
          'add a group per MPP node; for one node use RealtimePair',
        );
    },
  }),
  defineRule({
    code: 'MPP_SEQ_NO',
    severity: 'error',
    manual: '§2.5.2, 7.4.3.4',
    rule: 'MPP_SEQ_NO values are 0..N-1, each used once.',
    check({ model }, report) {
      if (!isMpp(model)) return;
      const n = model.groups.length;
      const seen = new Set<number>();
      for (const g of model.groups) {
        const s = g.mppSeqNo;
        if (!inRange(s, 0, n - 1))
          report(
            at(g.specPath, 'seqNo'),
            `MPP_SEQ_NO ${s} of ${g.name} is outside 0-${n - 1}`,
            `number the ${n} MPP nodes 0 to ${n - 1}`,
          );
        else if (seen.has(s))
          report(
            at(g.specPath, 'seqNo'),
            `MPP_SEQ_NO ${s} is used twice`,
            `number the ${n} MPP nodes 0 to ${n - 1}, each once`,
          );
        seen.add(s);
      }
    },
  }),
  defineRule({
    code: 'GROUP_MEMBERS_SHARE_HOST',
    severity: 'warning',
    manual: '§2 (守护进程和实例同机), 7.4.1',
    rule: 'Two databases of one group on one host give no protection against losing that host.',
    check({ model }, report) {
      model.groups.forEach((g) => {
        const seen = new Map<string, string>();
        for (const d of g.databases.filter(isGuardMember))
          for (const i of d.instances) {
            const first = seen.get(i.host);
            if (first && first !== d.id)
              report(
                at(i.specPath, 'host'),
                `${i.name} shares host ${i.host} with ${first} of the same group`,
                'place the members of a group on different hosts (cross placement as in 7.4)',
              );
            else seen.set(i.host, d.id);
          }
      });
    },
  }),
  defineRule({
    code: 'ARCH_WAIT_APPLY_NEEDS_AUTO',
    severity: 'error',
    manual: '§2.6.5',
    rule: 'Transaction-consistent mode (ARCH_WAIT_APPLY = 1) with realtime archives only works with DW_MODE AUTO.',
    check({ model }, report: Reporter) {
      for (const g of model.groups)
        if (g.archiveType === 'REALTIME' && g.archWaitApply === 1 && model.watcher.mode !== 'AUTO')
          report(
            at(g.specPath, 'archWaitApply'),
            'ARCH_WAIT_APPLY = 1 with realtime archives has no effect in MANUAL mode',
            'set watcher.mode: AUTO (with a confirm monitor), or use archiveType: TIMELY, or archWaitApply: 0',
          );
    },
  }),
];
