/** Paths and addresses (§5.2, §5.4, 7.2.1, 7.4.1, 7.5). */
import { isIP } from 'node:net';
import { allDatabases, allInstances } from '../model';
import { at, defineRule } from '../../../validate/rule';

/** DMDSC archives may live on ASM disk groups: +DMDATA/... (7.5.3.1). */
const isAsm = (p: string) => p.startsWith('+');

export const pathRules = [
  defineRule({
    code: 'PATH_NOT_ABSOLUTE',
    severity: 'error',
    manual: '§5.4 INST_INI',
    rule: 'dmHome, data paths, ini paths and the monitor path are absolute; archive directories are absolute or on ASM (+DG/...).',
    check({ model }, report) {
      const abs = (p: string | undefined, path: string, asmOk = false) => {
        if (p !== undefined && !p.startsWith('/') && !(asmOk && isAsm(p)))
          report(path, `"${p}" is not an absolute path`, 'write the full path from /');
      };
      abs(model.dmHome, 'dmHome');
      for (const i of allInstances(model)) {
        abs(i.initPath, at(i.specPath, 'path'));
        abs(i.iniPath, at(i.specPath, 'iniPath'));
        abs(i.dcrIni, at(i.specPath, 'dcrIni'));
        abs(i.archiveDir, at(i.specPath, 'archiveDir'), true);
      }
      abs(model.monitor?.path, 'monitor.path');
      abs(model.monitor?.logPath, 'monitor.logPath');
      for (const d of allDatabases(model))
        if (d.layout === 'dsc') abs(d.backupDir, at(d.specPath, 'backupDir'));
    },
  }),
  defineRule({
    code: 'PATH_HAS_SPACE',
    severity: 'error',
    manual: '§5.4 INST_STARTUP_CMD',
    rule: 'Paths contain no spaces or quotes (INST_STARTUP_CMD and the dmrman/dmserver command lines of chapter 7 cannot carry them).',
    check({ model }, report) {
      const clean = (p: string | undefined, path: string) => {
        if (p !== undefined && /[\s'"\\]/.test(p))
          report(path, `"${p}" contains a space, quote or backslash`, 'use a path without spaces or quotes');
      };
      clean(model.dmHome, 'dmHome');
      for (const i of allInstances(model)) {
        clean(i.initPath, at(i.specPath, 'path'));
        clean(i.iniPath, at(i.specPath, 'iniPath'));
        clean(i.dcrIni, at(i.specPath, 'dcrIni'));
        clean(i.archiveDir, at(i.specPath, 'archiveDir'));
      }
      clean(model.monitor?.path, 'monitor.path');
      clean(model.monitor?.logPath, 'monitor.logPath');
      for (const d of allDatabases(model))
        if (d.layout === 'dsc') clean(d.backupDir, at(d.specPath, 'backupDir'));
    },
  }),
  defineRule({
    code: 'DATA_PATH_REUSED_ON_HOST',
    severity: 'error',
    manual: '7.4.1',
    rule: 'Instances on one host have their own dm.ini (their own data directory).',
    check({ model }, report) {
      const seen = new Map<string, string>();
      for (const i of allInstances(model)) {
        const key = `${i.host}:${i.iniPath}`;
        const first = seen.get(key);
        const field = i.initPath !== undefined ? 'path' : 'iniPath';
        if (first)
          report(
            at(i.specPath, field),
            `${i.name} would use ${i.iniPath} on ${i.host}, as ${first} does`,
            'give each instance on a host its own path, e.g. /dm/data/EP01 and /dm/data/EP22',
          );
        else seen.set(key, i.name);
      }
    },
  }),
  defineRule({
    code: 'MAL_HOST_NOT_IP',
    severity: 'error',
    manual: '§5.2 MAL_HOST, MAL_INST_HOST',
    rule: "A host's private (MAL_HOST) and public (MAL_INST_HOST) addresses are IP addresses.",
    check({ model }, report) {
      const used = new Set(allInstances(model).map((i) => i.host));
      for (const m of model.monitor?.multi?.instances ?? []) used.add(m.host);
      for (const h of Object.values(model.hosts)) {
        if (!used.has(h.name)) continue;
        for (const [field, v] of [
          ['private', h.private],
          ['public', h.public],
        ] as const)
          if (!isIP(v.split('%')[0] ?? v))
            report(
              `hosts.${h.name}.${field}`,
              `"${v}" is not an IP address (${field === 'private' ? 'MAL_HOST' : 'MAL_INST_HOST'} must be one)`,
              `set hosts.${h.name}.${field} to the host's ${field === 'private' ? 'internal' : 'external'} IP`,
            );
      }
    },
  }),
];
