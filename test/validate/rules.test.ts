/**
 * One failing case per validation rule: each mutates a valid spec so that exactly the rule's
 * condition is broken, and expects the rule's code at the field path. A final test checks that
 * every rule in the catalog has a case here.
 */
import { describe, expect, it } from 'vitest';
import { RULES, validateSpec } from '../../lib/validate';
import { dscPrimary, mppGroup, realtimePair } from '../support/specs';

type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const timer = { name: 'T1' };
const asyncAt = (name: string, host: string, extra: Spec = {}) => ({ name, host, timer, ...extra });
const withHosts = (s: Spec, n: number, prefix = 'H') => {
  for (let i = 0; i < n; i++) s.hosts[`${prefix}${i}`] = { address: `198.18.2.${i + 1}` };
  return s;
};

/** An MppGroup with one DCP proxy on a host of its own (001 6.2), changed by `edit`. */
const withDcp =
  (edit: (s: Spec) => void = () => undefined) =>
  () => {
    const s: Spec = mppGroup();
    s.hosts.D = { address: '198.18.1.34', private: '198.18.0.34' };
    s.dcp = { proxies: [{ name: 'DCP1', host: 'D' }] };
    edit(s);
    return s;
  };
function dcpCases(): [code: string, path: string, make: () => Spec][] {
  return [
    ['DCP_HOST', 'dcp.proxies[0].host', withDcp((s) => (s.dcp.proxies[0].host = 'Z'))],
    ['DCP_NAME', 'dcp.proxies[0].name', withDcp((s) => (s.dcp.proxies[0].name = 'EP01'))],
    ['DCP_NAME', 'dcp.proxies[0].name', withDcp((s) => (s.dcp.proxies[0].name = 'DCP-1'))],
    [
      'DCP_PORTS',
      'dcp.proxies[0].dcpPort',
      withDcp((s) => Object.assign(s.dcp.proxies[0], { port: 5300, dcpPort: 5300 })),
    ],
    ['DCP_PORTS', 'dcp.proxies[0].port', withDcp((s) => (s.dcp.proxies[0].port = 80))],
    ['DCP_POOL_SIZE', 'dcp.poolSize', withDcp((s) => (s.dcp.poolSize = 10001))],
    ['DCP_LOGIN_USER', 'dcp.loginUser', withDcp((s) => (s.dcp.loginUser = 'DCPUSER'))],
    ['DCP_PATH', 'dcp.proxies[0].path', withDcp((s) => (s.dcp.proxies[0].path = 'dm/dcp'))],
    ['DCP_ON_EP_HOST', 'dcp.proxies[0].host', withDcp((s) => (s.dcp.proxies[0].host = 'A'))],
  ];
}

const cases: [code: string, path: string, make: () => Spec][] = [
  [
    'INSTANCE_NAME_TOO_LONG',
    'primary.name',
    () => ({ ...realtimePair(), primary: { name: 'GRP1_RT_0123456789', host: 'P' } }),
  ],
  [
    'INSTANCE_NAME_CHARS',
    'primary.name',
    () => ({ ...realtimePair(), primary: { name: 'GRP1-RT', host: 'P' } }),
  ],
  [
    'INSTANCE_NAME_DUPLICATE',
    'standbys[0].name',
    () => ({ ...realtimePair(), standbys: [{ name: 'grp1_rt_01', host: 'S' }] }),
  ],
  [
    'INSTANCE_NAME_RESERVED',
    'standbys[0].name',
    () => ({ ...realtimePair(), standbys: [{ name: 'Standby', host: 'S' }] }),
  ],
  ['GROUP_NAME_TOO_LONG', 'group', () => ({ ...realtimePair(), group: 'GROUP_NAME_TOO_LONG1' })],
  ['GROUP_NAME_CHARS', 'group', () => ({ ...realtimePair(), group: 'GRP 1' })],
  [
    'GROUP_NAME_DUPLICATE',
    'groups[1].group',
    () => {
      const s: Spec = mppGroup();
      s.groups[1].group = 'GRP1';
      return s;
    },
  ],
  ['GROUP_NAME_IS_INSTANCE', 'group', () => ({ ...realtimePair(), group: 'GRP1_RT_01' })],
  [
    'HOST_NAME_INVALID',
    'hosts.P 1',
    () => {
      const s: Spec = realtimePair();
      s.hosts['P 1'] = s.hosts.P;
      delete s.hosts.P;
      s.primary.host = 'P 1';
      return s;
    },
  ],
  [
    'HOST_UNKNOWN',
    'standbys[0].host',
    () => ({ ...realtimePair(), standbys: [{ name: 'GRP1_RT_02', host: 'X' }] }),
  ],
  [
    'DATABASE_NAME_CHARS',
    'primary.dbName',
    () => ({ ...realtimePair(), primary: { name: 'GRP1_RT_01', host: 'P', dbName: 'DA-MENG' } }),
  ],
  [
    'PORT_RANGE',
    'primary.port',
    () => ({ ...realtimePair(), primary: { name: 'GRP1_RT_01', host: 'P', port: 80 } }),
  ],
  [
    'MAL_PORT_CLASH',
    'primary.malPort',
    () => ({ ...realtimePair(), primary: { name: 'GRP1_RT_01', host: 'P', port: 6000, malPort: 6000 } }),
  ],
  [
    'PORT_REUSED_ON_HOST',
    'syncStandbys[0].port',
    () => ({
      ...realtimePair(),
      primary: { name: 'GRP1_RT_01', host: 'P', port: 5300 },
      syncStandbys: [{ name: 'GRP1_SYNC_01', host: 'P', path: '/dm/data/SYNC', port: 5300 }],
    }),
  ],
  ['OGUID_RANGE', 'oguid', () => ({ ...realtimePair(), oguid: -1 })],
  [
    'OGUID_DUPLICATE',
    'groups[1].oguid',
    () => {
      const s: Spec = mppGroup();
      s.groups[1].oguid = 7101;
      return s;
    },
  ],
  ['OGUID_MANUAL_EXAMPLE', 'oguid', () => ({ ...realtimePair(), oguid: 453331 })],
  ['STANDBY_COUNT', 'standbys', () => ({ ...realtimePair(), standbys: [] })],
  [
    'REMOVED_MEMBER',
    'primary.removed',
    () => {
      const s = realtimePair();
      (s.primary as { removed?: boolean }).removed = true;
      return s;
    },
  ],
  [
    'SYNC_STANDBY_COUNT',
    'syncStandbys',
    () => {
      const s = withHosts(realtimePair(), 9);
      s.syncStandbys = Array.from({ length: 9 }, (_, i) => ({ name: `GRP1_SYNC_${i}`, host: `H${i}` }));
      return s;
    },
  ],
  [
    'ASYNC_PER_SOURCE',
    'asyncStandbys[8].source',
    () => {
      const s = withHosts(realtimePair(), 9);
      s.asyncStandbys = Array.from({ length: 9 }, (_, i) => asyncAt(`GRP1_ASYNC_${i}`, `H${i}`));
      return s;
    },
  ],
  [
    'MONITOR_ASYNC_LIMIT',
    'asyncStandbys',
    () => {
      const s = withHosts(realtimePair(), 17);
      s.asyncStandbys = Array.from({ length: 17 }, (_, i) =>
        asyncAt(`GRP1_ASYNC_${i}`, `H${i}`, i ? { source: `GRP1_ASYNC_${i - 1}` } : {}),
      );
      return s;
    },
  ],
  [
    'ASYNC_TIMER_REQUIRED',
    'asyncStandbys[0].timer',
    () => ({ ...withHosts(realtimePair(), 1), asyncStandbys: [{ name: 'GRP1_ASYNC_1', host: 'H0' }] }),
  ],
  [
    'TIMER_INVALID',
    'asyncStandbys[0].timer.isValid',
    () => ({
      ...withHosts(realtimePair(), 1),
      asyncStandbys: [asyncAt('GRP1_ASYNC_1', 'H0', { timer: { isValid: 0 } })],
    }),
  ],
  [
    'TIMER_CONFLICT',
    'asyncStandbys[1].timer.name',
    () => ({
      ...withHosts(realtimePair(), 2),
      asyncStandbys: [
        asyncAt('GRP1_ASYNC_1', 'H0'),
        asyncAt('GRP1_ASYNC_2', 'H1', { timer: { name: 'T1', startTime: '01:00:00' } }),
      ],
    }),
  ],
  [
    'ASYNC_SOURCE_UNKNOWN',
    'asyncStandbys[0].source',
    () => ({
      ...withHosts(realtimePair(), 1),
      asyncStandbys: [asyncAt('GRP1_ASYNC_1', 'H0', { source: 'NOPE' })],
    }),
  ],
  [
    'ASYNC_SOURCE_INVALID',
    'asyncStandbys[0].source',
    () => ({
      ...withHosts(realtimePair(), 1),
      asyncStandbys: [asyncAt('GRP1_ASYNC_1', 'H0', { source: 'GRP1_ASYNC_1' })],
    }),
  ],
  [
    'ASYNC_CASCADE_CYCLE',
    'asyncStandbys[0].source',
    () => ({
      ...withHosts(realtimePair(), 2),
      asyncStandbys: [
        asyncAt('GRP1_ASYNC_1', 'H0', { source: 'GRP1_ASYNC_2' }),
        asyncAt('GRP1_ASYNC_2', 'H1', { source: 'GRP1_ASYNC_1' }),
      ],
    }),
  ],
  [
    'ASYNC_SEND_DELAY_RANGE',
    'asyncStandbys[0].sendDelay',
    () => ({
      ...withHosts(realtimePair(), 1),
      asyncStandbys: [asyncAt('GRP1_ASYNC_1', 'H0', { sendDelay: 2000 })],
    }),
  ],
  [
    'SYNC_RECOVER_TIME_RANGE',
    'syncStandbys[0].recoverTime',
    () => ({
      ...withHosts(realtimePair(), 1),
      syncStandbys: [{ name: 'GRP1_SYNC_1', host: 'H0', recoverTime: 0 }],
    }),
  ],
  [
    'DSC_NODE_COUNT',
    'primary.nodes',
    () => {
      const s: Spec = dscPrimary();
      s.primary.nodes.pop();
      return s;
    },
  ],
  [
    'DSC_DCR_INI_REQUIRED',
    'primary.nodes[1].dcrIni',
    () => {
      const s: Spec = dscPrimary();
      delete s.primary.nodes[1].dcrIni;
      return s;
    },
  ],
  [
    'DSC_ARCHIVE_DIR_DUPLICATE',
    'primary.nodes[1].archiveDir',
    () => {
      const s: Spec = dscPrimary();
      s.primary.nodes[1].archiveDir = s.primary.nodes[0].archiveDir;
      return s;
    },
  ],
  [
    'DSC_TO_DSC',
    'standbys[0].nodes',
    () => {
      const s: Spec = withHosts(dscPrimary(), 2);
      s.standbys = [
        {
          nodes: [
            {
              name: 'SDSC01',
              host: 'H0',
              iniPath: '/dm/s/1/dm.ini',
              dcrIni: '/dm/s/dcr1.ini',
              archiveDir: '+D/1',
            },
            {
              name: 'SDSC02',
              host: 'H1',
              iniPath: '/dm/s/2/dm.ini',
              dcrIni: '/dm/s/dcr2.ini',
              archiveDir: '+D/2',
            },
          ],
        },
      ];
      return s;
    },
  ],
  [
    'DSC_IN_MPP',
    'groups[0].standbys[0].nodes',
    () => {
      const s: Spec = withHosts(mppGroup(), 2);
      s.groups[0].standbys = [
        {
          nodes: [
            {
              name: 'SDSC01',
              host: 'H0',
              iniPath: '/dm/s/1/dm.ini',
              dcrIni: '/dm/s/dcr1.ini',
              archiveDir: '+D/1',
            },
            {
              name: 'SDSC02',
              host: 'H1',
              iniPath: '/dm/s/2/dm.ini',
              dcrIni: '/dm/s/dcr2.ini',
              archiveDir: '+D/2',
            },
          ],
        },
      ];
      return s;
    },
  ],
  [
    'MPP_GROUP_COUNT',
    'groups',
    () => {
      const s: Spec = mppGroup();
      s.groups.pop();
      return s;
    },
  ],
  [
    'MPP_SEQ_NO',
    'groups[1].seqNo',
    () => {
      const s: Spec = mppGroup();
      s.groups[1].seqNo = 5;
      return s;
    },
  ],
  [
    'GROUP_MEMBERS_SHARE_HOST',
    'standbys[0].host',
    () => ({ ...realtimePair(), standbys: [{ name: 'GRP1_RT_02', host: 'P' }] }),
  ],
  [
    'ARCH_WAIT_APPLY_NEEDS_AUTO',
    'archWaitApply',
    () => ({ ...realtimePair(), archWaitApply: 1, watcher: { mode: 'MANUAL' }, monitor: { host: 'M' } }),
  ],
  [
    'CONFIRM_MONITOR_REQUIRED',
    'monitor',
    () => {
      const s: Spec = realtimePair();
      delete s.monitor;
      return s;
    },
  ],
  [
    'CONFIRM_MONITOR_ON_DB_HOST',
    'monitor.host',
    () => ({ ...realtimePair(), monitor: { host: 'P', confirm: true } }),
  ],
  [
    'AUTO_MODE_FEW_HOSTS',
    'watcher.mode',
    () => ({ ...realtimePair(), monitor: { host: 'P', confirm: true } }),
  ],
  ['MONITOR_HOST_MISSING', 'monitor.host', () => ({ ...realtimePair(), monitor: { confirm: true } })],
  [
    'MONITOR_INST_NUM',
    'monitor.instances',
    () => ({
      ...withHosts(realtimePair(), 2),
      monitor: { confirm: true, mid: 9, instances: [{ host: 'H0' }, { host: 'H1' }] },
    }),
  ],
  [
    'MONITOR_MID_REQUIRED',
    'monitor.mid',
    () => ({
      ...withHosts(realtimePair(), 3),
      monitor: { confirm: true, instances: [{ host: 'H0' }, { host: 'H1' }, { host: 'H2' }] },
    }),
  ],
  [
    'MONITOR_ID_INVALID',
    'monitor.instances[1].id',
    () => ({
      ...withHosts(realtimePair(), 3),
      monitor: {
        confirm: true,
        mid: 9,
        instances: [
          { host: 'H0', id: 1 },
          { host: 'H1', id: 1 },
          { host: 'H2', id: 2 },
        ],
      },
    }),
  ],
  [
    'MONITOR_LOG_RANGE',
    'monitor.logInterval',
    () => ({ ...realtimePair(), monitor: { host: 'M', confirm: true, logInterval: 3 } }),
  ],
  [
    'MONITOR_INTERVAL_RANGE',
    'monitor.broInterval',
    () => ({
      ...withHosts(realtimePair(), 3),
      monitor: {
        confirm: true,
        mid: 9,
        broInterval: 700,
        instances: [{ host: 'H0' }, { host: 'H1' }, { host: 'H2' }],
      },
    }),
  ],
  [
    'WATCHER_RANGE',
    'watcher.dwErrorTime',
    () => ({ ...realtimePair(), watcher: { mode: 'AUTO', dwErrorTime: 2 } }),
  ],
  ['ARCH_FILE_SIZE_RANGE', 'archive.fileSize', () => ({ ...realtimePair(), archive: { fileSize: 32 } })],
  [
    'ARCH_SPACE_LIMIT_RANGE',
    'archive.spaceLimit',
    () => ({ ...realtimePair(), archive: { spaceLimit: 500 } }),
  ],
  ['MAL_INTERVAL_RANGE', 'mal.checkInterval', () => ({ ...realtimePair(), mal: { checkInterval: 0 } })],
  ['DM_INI_MANAGED_KEY', 'dmIni.PORT_NUM', () => ({ ...realtimePair(), dmIni: { PORT_NUM: 5236 } })],
  [
    'ALTER_MODE_STATUS_NOT_ZERO',
    'dmIni.ALTER_MODE_STATUS',
    () => ({ ...realtimePair(), dmIni: { ALTER_MODE_STATUS: 1 } }),
  ],
  [
    'DM_INI_RANGE',
    'dmIni.RLOG_SEND_APPLY_MON',
    () => ({ ...realtimePair(), dmIni: { RLOG_SEND_APPLY_MON: 8 } }),
  ],
  [
    'ENABLE_OFFLINE_TS_NOT_2',
    'dmIni.ENABLE_OFFLINE_TS',
    () => ({ ...realtimePair(), dmIni: { ENABLE_OFFLINE_TS: 1 } }),
  ],
  ['CLIENT_RANGE', 'client.rwPercent', () => ({ ...realtimePair(), client: { rwPercent: 101 } })],
  [
    'CLIENT_SERVICE_NAME',
    'client.serviceName',
    () => ({ ...realtimePair(), client: { serviceName: 'a b' } }),
  ],
  [
    'DSC_RESTART_INTERVAL_RANGE',
    'primary.dmcssAutoRestart.interval',
    () => {
      const s: Spec = dscPrimary();
      s.primary.dmcssAutoRestart = { interval: 0 };
      return s;
    },
  ],
  [
    'PATH_NOT_ABSOLUTE',
    'primary.path',
    () => ({ ...realtimePair(), primary: { name: 'GRP1_RT_01', host: 'P', path: 'dm/data' } }),
  ],
  ['PATH_HAS_SPACE', 'dmHome', () => ({ ...realtimePair(), dmHome: '/opt/dm 8' })],
  [
    'SECRET_ENV_NAME',
    'secrets.sysdbaPassword.env',
    () => ({ ...realtimePair(), secrets: { sysdbaPassword: { env: 'TF_VAR_sysdba_password' } } }),
  ],
  [
    'SECRET_ENV_NAME',
    'secrets.sshPassphrase.env',
    () => ({ ...realtimePair(), secrets: { sshPassphrase: { env: 'DM-PASS' } } }),
  ],
  ['STEP_MOVE_SAME_TYPE', 'moveStepsFrom', () => ({ ...realtimePair(), moveStepsFrom: 'null_resource' })],
  [
    'SECRET_FILE_PATH',
    'secrets.sysdbaPassword.file',
    () => ({ ...realtimePair(), secrets: { sysdbaPassword: { file: 'secrets/sysdba' } } }),
  ],
  [
    'DATA_PATH_REUSED_ON_HOST',
    'syncStandbys[0].path',
    () => ({
      ...realtimePair(),
      syncStandbys: [{ name: 'GRP1_SYNC_01', host: 'P', path: '/dm/data/GRP1_RT_01' }],
    }),
  ],
  [
    'MAL_HOST_NOT_IP',
    'hosts.P.private',
    () => {
      const s: Spec = realtimePair();
      s.hosts.P.private = 'db-internal';
      return s;
    },
  ],
  ...dcpCases(),
];

describe('valid base specs', () => {
  it.each([
    ['RealtimePair', realtimePair],
    ['DscPrimary', dscPrimary],
    ['MppGroup', mppGroup],
  ] as const)('%s has no findings', (_, make) => {
    expect(validateSpec(make()).findings).toEqual([]);
  });
});

describe('each rule fails on the spec that breaks it', () => {
  it.each(cases)('%s at %s', (code, path, make) => {
    const { findings } = validateSpec(make());
    const hit = findings.filter((f) => f.code === code);
    expect(
      hit.map((f) => f.path),
      JSON.stringify(findings, null, 1),
    ).toContain(path);
    for (const f of hit) {
      expect(f.message.length).toBeGreaterThan(10);
      expect(f.fix.length).toBeGreaterThan(3);
      expect(f.manual).toMatch(/\d|dmdeploy/);
    }
  });

  it('every rule in the catalog has a failing case', () => {
    const tested = new Set(cases.map(([c]) => c));
    expect(RULES.map((r) => r.code).filter((c) => !tested.has(c))).toEqual([]);
    expect(RULES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(RULES.map((r) => r.code)).size).toBe(RULES.length);
  });
});

describe('collecting', () => {
  it('reports every broken rule at once, not the first only', () => {
    const s: Spec = {
      ...realtimePair(),
      oguid: -5,
      archive: { fileSize: 1 },
      primary: { name: 'GRP1_RT_0123456789', host: 'P' },
    };
    const codes = validateSpec(s).findings.map((f) => f.code);
    expect(codes).toEqual(
      expect.arrayContaining(['OGUID_RANGE', 'ARCH_FILE_SIZE_RANGE', 'INSTANCE_NAME_TOO_LONG']),
    );
  });
});

describe('shape errors', () => {
  const shape: [code: string, path: string, make: () => Spec][] = [
    [
      'SPEC_UNKNOWN_FIELD',
      'primary.malport',
      () => ({ ...realtimePair(), primary: { name: 'GRP1_RT_01', host: 'P', malport: 1 } }),
    ],
    [
      'SPEC_REQUIRED',
      'oguid',
      () => {
        const s: Spec = realtimePair();
        delete s.oguid;
        return s;
      },
    ],
    ['SPEC_TYPE', 'oguid', () => ({ ...realtimePair(), oguid: 'abc' })],
    [
      'SPEC_TYPE',
      'standbys[0].port',
      () => ({ ...realtimePair(), standbys: [{ name: 'GRP1_RT_02', host: 'S', port: 52.5 }] }),
    ],
    ['SPEC_VALUE', 'watcher.mode', () => ({ ...realtimePair(), watcher: { mode: 'AUTOMATIC' } })],
    ['SPEC_KIND', 'kind', () => ({ ...realtimePair(), kind: 'Cluster' })],
    [
      'SPEC_REQUIRED',
      'standbys[0].nodes[0].iniPath',
      () => ({
        ...dscPrimary(),
        kind: 'RealtimePair',
        primary: { name: 'X1', host: 'P1' },
        standbys: [{ nodes: [{ name: 'A', host: 'P1', archiveDir: '/a' }] }],
      }),
    ],
  ];
  it.each(shape)('%s at %s', (code, path, make) => {
    const { findings, model } = validateSpec(make());
    expect(model).toBeUndefined();
    expect(findings.map((f) => `${f.code} ${f.path}`)).toContain(`${code} ${path}`);
  });
});

describe('docs/validation.md', () => {
  it('lists every rule and is current (regenerate with npm run docs)', async () => {
    const { readFileSync } = await import('node:fs');
    const { format } = await import('prettier');
    const { validationDoc } = await import('../../lib/validate/doc');
    const file = readFileSync(`${__dirname}/../../docs/validation.md`, 'utf8');
    expect(file).toBe(await format(validationDoc(), { parser: 'markdown', printWidth: 110 }));
    for (const r of RULES) expect(file).toContain(`\`${r.code}\``);
  });
});
