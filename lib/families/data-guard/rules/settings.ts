/** Value ranges of dm.ini, dmmal.ini, dmarch.ini and dm_svc.conf settings (§5.1-§5.3, §5.8). */
import { allDatabases } from '../model';
import { defineRule, inRange } from '../../../validate/rule';

/** dm.ini keys the tool derives from the spec; setting them by hand would break the group. */
export const MANAGED_DM_INI_KEYS = [
  'INSTANCE_NAME',
  'PORT_NUM',
  'MAL_INI',
  'ARCH_INI',
  'TIMER_INI',
  'MPP_INI',
  'DW_PORT',
  // 001:L134-136: on an EP they would make it a DCP proxy
  'ENABLE_DCP_MODE',
  'DCP_PORT_NUM',
];

/** §5.1 table 5.1 ranges of data-guard dm.ini parameters. */
const DM_INI_RANGES: Record<string, [number, number]> = {
  DW_INACTIVE_INTERVAL: [0, 1800],
  ENABLE_OFFLINE_TS: [0, 2],
  SESS_FREE_IN_SUSPEND: [0, 1800],
  DW_MAX_SVR_WAIT_TIME: [0, 65534],
  REDOS_BUF_SIZE: [0, 65536],
  REDOS_BUF_NUM: [0, 9999],
  REDOS_MAX_DELAY: [0, 7200],
  REDOS_PRE_LOAD: [0, 1],
  RLOG_SEND_APPLY_MON: [16, 1024],
  MESSAGE_CHECK: [0, 1],
  REDOS_PARALLEL_NUM: [1, 64],
  REDOS_ENABLE_SELECT: [0, 1],
  DW_CONSISTENCY_CHECK: [0, 1],
  DW_ARCH_SPACE_CHECK: [0, 1],
  RLOG_PKG_SEND_NUM: [1, 10000],
};

export const settingRules = [
  defineRule({
    code: 'ARCH_FILE_SIZE_RANGE',
    severity: 'error',
    manual: '§5.3',
    rule: 'ARCH_FILE_SIZE is 64-2048 MB.',
    check({ model }, report) {
      if (!inRange(model.archive.fileSize, 64, 2048))
        report(
          'archive.fileSize',
          `ARCH_FILE_SIZE ${model.archive.fileSize} is outside 64-2048`,
          'use 128 as in the manual, or 64-2048 MB',
        );
    },
  }),
  defineRule({
    code: 'ARCH_SPACE_LIMIT_RANGE',
    severity: 'error',
    manual: '§5.3, 7.1',
    rule: 'ARCH_SPACE_LIMIT is 0 (no limit) or 1024-2147483647 MB.',
    check({ model }, report) {
      const v = model.archive.spaceLimit;
      if (!(v === 0 || inRange(v, 1024, 2147483647)))
        report(
          'archive.spaceLimit',
          `ARCH_SPACE_LIMIT ${v} is not 0 or 1024-2147483647`,
          'use 0, or at least 1024 MB',
        );
    },
  }),
  defineRule({
    code: 'MAL_INTERVAL_RANGE',
    severity: 'error',
    manual: '§5.2',
    rule: 'MAL_CHECK_INTERVAL is 1-1800 s (0 turns link checks off, which data guard must not do); MAL_CONN_FAIL_INTERVAL 2-1800 s.',
    check({ model }, report) {
      if (!inRange(model.mal.checkInterval, 1, 1800))
        report(
          'mal.checkInterval',
          `MAL_CHECK_INTERVAL ${model.mal.checkInterval} is outside 1-1800`,
          'use 5 as in the manual',
        );
      if (!inRange(model.mal.connFailInterval, 2, 1800))
        report(
          'mal.connFailInterval',
          `MAL_CONN_FAIL_INTERVAL ${model.mal.connFailInterval} is outside 2-1800`,
          'use 5 as in the manual',
        );
    },
  }),
  defineRule({
    code: 'DM_INI_MANAGED_KEY',
    severity: 'error',
    manual: '7.2.3.1',
    rule: `dmIni does not set keys derived from the spec (${MANAGED_DM_INI_KEYS.join(', ')}).`,
    check({ model }, report) {
      for (const k of Object.keys(model.dmIni))
        if (MANAGED_DM_INI_KEYS.includes(k.toUpperCase()))
          report(
            `dmIni.${k}`,
            `${k} is derived from the spec`,
            'remove it from dmIni; set the instance name, ports or topology instead',
          );
    },
  }),
  defineRule({
    code: 'ALTER_MODE_STATUS_NOT_ZERO',
    severity: 'error',
    manual: '§2.2.16, 7.2.3.1',
    rule: 'ALTER_MODE_STATUS stays 0 under data guard (dmdeploy raises it only around OGUID and mode changes).',
    check({ model }, report) {
      for (const [k, v] of Object.entries(model.dmIni))
        if (k.toUpperCase() === 'ALTER_MODE_STATUS' && Number(v) !== 0)
          report(
            `dmIni.${k}`,
            `ALTER_MODE_STATUS ${v} lets SQL change mode and OGUID, a split-brain risk`,
            'remove it (dmdeploy writes 0)',
          );
    },
  }),
  defineRule({
    code: 'DM_INI_RANGE',
    severity: 'error',
    manual: '§5.1 table 5.1',
    rule: 'Data-guard dm.ini parameters given in dmIni are within the ranges of table 5.1.',
    check({ model }, report) {
      for (const [k, v] of Object.entries(model.dmIni)) {
        const range = DM_INI_RANGES[k.toUpperCase()];
        if (!range) continue;
        const n = Number(v);
        if (!inRange(n, range[0], range[1]))
          report(
            `dmIni.${k}`,
            `${k.toUpperCase()} ${v} is outside ${range[0]}-${range[1]}`,
            `use ${range[0]}-${range[1]}`,
          );
      }
    },
  }),
  defineRule({
    code: 'ENABLE_OFFLINE_TS_NOT_2',
    severity: 'warning',
    manual: '§6.27 item 16',
    rule: 'ENABLE_OFFLINE_TS should be 2 (no offline tablespaces on standbys).',
    check({ model }, report) {
      for (const [k, v] of Object.entries(model.dmIni))
        if (k.toUpperCase() === 'ENABLE_OFFLINE_TS' && Number(v) !== 2)
          report(
            `dmIni.${k}`,
            `ENABLE_OFFLINE_TS ${v}: offlining a tablespace on a standby crashes it when redo touches it`,
            'remove it (dmdeploy writes 2)',
          );
    },
  }),
  defineRule({
    code: 'CLIENT_RANGE',
    severity: 'error',
    manual: '§5.8',
    rule: 'dm_svc.conf: LOGIN_MODE 0-4, RW_PERCENT 0-100, SWITCH_TIME and SWITCH_INTERVAL at least 1.',
    check({ model }, report) {
      const c = model.client;
      if (!inRange(c.loginMode, 0, 4))
        report(
          'client.loginMode',
          `LOGIN_MODE ${c.loginMode} is outside 0-4`,
          'use 1 (primary only) or another mode of §5.8',
        );
      if (!inRange(c.rwPercent, 0, 100))
        report('client.rwPercent', `RW_PERCENT ${c.rwPercent} is outside 0-100`, 'use 0-100 (25 by default)');
      if (!(Number.isInteger(c.switchTime) && c.switchTime >= 1))
        report('client.switchTime', `SWITCH_TIME ${c.switchTime} is below 1`, 'use 3 or more');
      if (!(Number.isInteger(c.switchInterval) && c.switchInterval >= 1))
        report('client.switchInterval', `SWITCH_INTERVAL ${c.switchInterval} is below 1`, 'use 1000 ms');
    },
  }),
  defineRule({
    code: 'CLIENT_SERVICE_NAME',
    severity: 'error',
    manual: '§5.8',
    rule: 'The dm_svc.conf service name is a plain identifier.',
    check({ model }, report) {
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(model.client.serviceName))
        report(
          'client.serviceName',
          `service name "${model.client.serviceName}" is not a plain identifier`,
          'use letters, digits and underscores',
        );
    },
  }),
  defineRule({
    code: 'DSC_RESTART_INTERVAL_RANGE',
    severity: 'error',
    manual: '7.5.10',
    rule: 'DMDCR_DB_RESTART_INTERVAL for dmcss auto restart is a positive number of seconds.',
    check({ model }, report) {
      for (const d of allDatabases(model))
        if (
          d.layout === 'dsc' &&
          d.dmcssRestartInterval !== undefined &&
          !inRange(d.dmcssRestartInterval, 1, 86400)
        )
          report(
            `${d.specPath}.dmcssAutoRestart.interval`,
            `DMDCR_DB_RESTART_INTERVAL ${d.dmcssRestartInterval} is not 1-86400`,
            'use 60 as in manual 7.5.10',
          );
    },
  }),
];
