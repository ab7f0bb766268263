/** Watchers and monitors (§2.2.16, §3.3, §4.1, §4.3, §5.4, §5.5). */
import { allInstances } from '../model';
import { at, defineRule, inRange } from '../../../validate/rule';

export const guardRules = [
  defineRule({
    code: 'CONFIRM_MONITOR_REQUIRED',
    severity: 'error',
    manual: '§3.3, §4.3, 7.2.5',
    rule: 'DW_MODE AUTO needs a confirm monitor (MON_DW_CONFIRM = 1).',
    check({ model }, report) {
      if (model.watcher.mode !== 'AUTO') return;
      if (!model.monitor)
        report(
          'monitor',
          'watcher.mode is AUTO but no monitor is configured',
          'add monitor: { host: <a host without databases>, confirm: true }, or set watcher.mode: MANUAL',
        );
      else if (!model.monitor.confirm)
        report(
          'monitor.confirm',
          'watcher.mode is AUTO but the monitor is not a confirm monitor',
          'set monitor.confirm: true, or watcher.mode: MANUAL',
        );
    },
  }),
  defineRule({
    code: 'CONFIRM_MONITOR_ON_DB_HOST',
    severity: 'error',
    manual: '§2.2.16, §4.3',
    rule: 'A confirm monitor does not run on a host of the primary or a standby.',
    check({ model }, report) {
      const m = model.monitor;
      if (!m?.confirm) return;
      const dbHosts = new Set(allInstances(model).map((i) => i.host));
      const hosts = m.multi
        ? m.multi.instances.map((x) => ({ host: x.host, path: at(x.specPath, 'host') }))
        : [{ host: m.host, path: 'monitor.host' }];
      for (const h of hosts)
        if (h.host && dbHosts.has(h.host))
          report(
            h.path,
            `the confirm monitor is on ${h.host}, which also runs a database`,
            'put the confirm monitor on a third machine (split-brain protection needs an independent witness)',
          );
    },
  }),
  defineRule({
    code: 'AUTO_MODE_FEW_HOSTS',
    severity: 'warning',
    manual: '§3.3 table 3.1',
    rule: 'AUTO mode needs at least 3 machines.',
    check({ model }, report) {
      if (model.watcher.mode !== 'AUTO') return;
      const hosts = new Set(allInstances(model).map((i) => i.host));
      if (model.monitor?.host) hosts.add(model.monitor.host);
      for (const m of model.monitor?.multi?.instances ?? []) hosts.add(m.host);
      if (hosts.size < 3)
        report(
          'watcher.mode',
          `AUTO mode on ${hosts.size} machines`,
          'use 3 or more machines, or MANUAL mode',
        );
    },
  }),
  defineRule({
    code: 'MONITOR_HOST_MISSING',
    severity: 'error',
    manual: '7.2.5',
    rule: 'A monitor names either one host, or a list of instances (multi-instance monitor), not both.',
    check({ model }, report) {
      const m = model.monitor;
      if (!m) return;
      if (!m.host && !m.multi)
        report(
          'monitor.host',
          'the monitor has no host',
          'set monitor.host, or monitor.instances for a multi-instance monitor',
        );
      if (m.host && m.multi)
        report(
          'monitor.instances',
          'the monitor has both host and instances',
          'use monitor.host for one monitor, or monitor.instances for a multi-instance monitor',
        );
    },
  }),
  defineRule({
    code: 'MONITOR_INST_NUM',
    severity: 'error',
    manual: '§5.5 MON_INST_NUM',
    rule: 'A multi-instance monitor has 3 or 5 instances (MON_INST_NUM 1/3/5; one is a plain monitor).',
    check({ model }, report) {
      const n = model.monitor?.multi?.instances.length;
      if (n !== undefined && n !== 1 && n !== 3 && n !== 5)
        report('monitor.instances', `${n} monitor instances`, 'use 3 or 5 monitor instances');
    },
  }),
  defineRule({
    code: 'MONITOR_MID_REQUIRED',
    severity: 'error',
    manual: '§4.1, §5.5 MON_MID',
    rule: 'A multi-instance monitor has MON_MID in 1-2147483647, shared by its instances.',
    check({ model }, report) {
      const multi = model.monitor?.multi;
      if (multi && !inRange(multi.mid, 1, 2147483647))
        report(
          'monitor.mid',
          multi.mid ? `MON_MID ${multi.mid} is outside 1-2147483647` : 'MON_MID is not set',
          'set monitor.mid to a number unique to this monitor system',
        );
    },
  }),
  defineRule({
    code: 'MONITOR_ID_INVALID',
    severity: 'error',
    manual: '§5.5 MON_ID, 7.2.5.2',
    rule: 'Monitor instance ids (MON_ID = MON_INST_ID) are unique and in 1-2147483647; names are unique.',
    check({ model }, report) {
      const ids = new Set<number>();
      const names = new Set<string>();
      for (const m of model.monitor?.multi?.instances ?? []) {
        if (!inRange(m.id, 1, 2147483647) || ids.has(m.id))
          report(
            at(m.specPath, 'id'),
            `monitor id ${m.id} is duplicated or outside 1-2147483647`,
            'number the monitors 1, 2, 3, ...',
          );
        if (names.has(m.name.toUpperCase()))
          report(
            at(m.specPath, 'name'),
            `monitor name ${m.name} is duplicated`,
            'give each monitor instance its own name',
          );
        ids.add(m.id);
        names.add(m.name.toUpperCase());
      }
    },
  }),
  defineRule({
    code: 'MONITOR_LOG_RANGE',
    severity: 'error',
    manual: '§5.5',
    rule: 'MON_LOG_INTERVAL is 0, 1 or 5-3600; MON_LOG_FILE_SIZE 16-2048; MON_LOG_SPACE_LIMIT 0 or 256-4096.',
    check({ model }, report) {
      const m = model.monitor;
      if (!m) return;
      if (!(m.logInterval === 0 || m.logInterval === 1 || inRange(m.logInterval, 5, 3600)))
        report(
          'monitor.logInterval',
          `MON_LOG_INTERVAL ${m.logInterval} is not 0, 1 or 5-3600`,
          'use 60 as in manual 7.2.5.1',
        );
      if (!inRange(m.logFileSize, 16, 2048))
        report(
          'monitor.logFileSize',
          `MON_LOG_FILE_SIZE ${m.logFileSize} is outside 16-2048`,
          'use 16-2048 MB',
        );
      if (!(m.logSpaceLimit === 0 || inRange(m.logSpaceLimit, 256, 4096)))
        report(
          'monitor.logSpaceLimit',
          `MON_LOG_SPACE_LIMIT ${m.logSpaceLimit} is not 0 or 256-4096`,
          'use 0 (no limit) or 256-4096 MB',
        );
    },
  }),
  defineRule({
    code: 'MONITOR_INTERVAL_RANGE',
    severity: 'error',
    manual: '§5.5',
    rule: 'MON_HB_INTERVAL is 5-600 s; MON_BRO_INTERVAL and MON_VOTE_INTERVAL 5-600 ms, with MON_BRO_INTERVAL not above MON_VOTE_INTERVAL.',
    check({ model }, report) {
      const x = model.monitor?.multi;
      if (!x) return;
      if (!inRange(x.hbInterval, 5, 600))
        report('monitor.hbInterval', `MON_HB_INTERVAL ${x.hbInterval} is outside 5-600`, 'use 5-600 seconds');
      if (!inRange(x.broInterval, 5, 600))
        report('monitor.broInterval', `MON_BRO_INTERVAL ${x.broInterval} is outside 5-600`, 'use 5-600 ms');
      if (!inRange(x.voteInterval, 5, 600))
        report(
          'monitor.voteInterval',
          `MON_VOTE_INTERVAL ${x.voteInterval} is outside 5-600`,
          'use 5-600 ms',
        );
      if (x.broInterval > x.voteInterval)
        report(
          'monitor.broInterval',
          `MON_BRO_INTERVAL ${x.broInterval} is above MON_VOTE_INTERVAL ${x.voteInterval}`,
          'keep the broadcast interval at or below the vote interval',
        );
    },
  }),
  defineRule({
    code: 'WATCHER_RANGE',
    severity: 'error',
    manual: '§5.4',
    rule: 'DW_ERROR_TIME and INST_ERROR_TIME are 3-32767 s; INST_RECOVER_TIME 0-86400; RLOG_SEND_THRESHOLD and RLOG_APPLY_THRESHOLD 0-86400.',
    check({ model }, report) {
      const w = model.watcher;
      const chk = (field: keyof typeof w, ini: string, lo: number, hi: number) => {
        const v = w[field] as number;
        if (!inRange(v, lo, hi))
          report(`watcher.${field}`, `${ini} ${v} is outside ${lo}-${hi}`, `use ${lo}-${hi}`);
      };
      chk('dwErrorTime', 'DW_ERROR_TIME', 3, 32767);
      chk('instErrorTime', 'INST_ERROR_TIME', 3, 32767);
      chk('instRecoverTime', 'INST_RECOVER_TIME', 0, 86400);
      chk('rlogSendThreshold', 'RLOG_SEND_THRESHOLD', 0, 86400);
      chk('rlogApplyThreshold', 'RLOG_APPLY_THRESHOLD', 0, 86400);
    },
  }),
];
