/** Instance, group and host names (§2, §2.3, §5.1, §5.4, 7.2.1). */
import { allDatabases, allInstances } from '../model';
import { at, defineRule } from '../../../validate/rule';

const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;

export const nameRules = [
  defineRule({
    code: 'INSTANCE_NAME_TOO_LONG',
    severity: 'error',
    manual: '§5.1, 7.2.1',
    rule: 'INSTANCE_NAME is at most 16 characters.',
    check({ model }, report) {
      for (const i of allInstances(model))
        if (i.name.length > 16)
          report(
            at(i.specPath, 'name'),
            `instance name "${i.name}" has ${i.name.length} characters, DM allows 16`,
            'shorten it; the manual suggests <group>_<env>_<nn>, e.g. GRP1_RT_01',
          );
    },
  }),
  defineRule({
    code: 'INSTANCE_NAME_CHARS',
    severity: 'error',
    manual: '§5.1',
    rule: 'INSTANCE_NAME starts with a letter and holds only letters, digits and underscores (it names ini sections, MAL entries and files).',
    check({ model }, report) {
      for (const i of allInstances(model))
        if (!IDENT.test(i.name))
          report(
            at(i.specPath, 'name'),
            `instance name "${i.name}" contains characters other than letters, digits and _`,
            'use letters, digits and underscores, starting with a letter',
          );
    },
  }),
  defineRule({
    code: 'INSTANCE_NAME_DUPLICATE',
    severity: 'error',
    manual: '§2, §5.2',
    rule: 'Instance names are unique in the whole data-guard system (MAL_INST_NAME is unique).',
    check({ model }, report) {
      const seen = new Map<string, string>();
      for (const i of allInstances(model)) {
        const key = i.name.toUpperCase(); // DM names are case-insensitive
        const first = seen.get(key);
        if (first)
          report(
            at(i.specPath, 'name'),
            `instance name "${i.name}" is already used by ${first}`,
            'give every instance its own name',
          );
        else seen.set(key, at(i.specPath, 'name'));
      }
    },
  }),
  defineRule({
    code: 'INSTANCE_NAME_RESERVED',
    severity: 'warning',
    manual: '§2.3',
    rule: 'Instance names should not be Primary or Standby (ambiguous in monitor output).',
    check({ model }, report) {
      for (const i of allInstances(model))
        if (/^(primary|standby)$/i.test(i.name))
          report(
            at(i.specPath, 'name'),
            `instance name "${i.name}" reads like a database mode`,
            'choose a name such as GRP1_RT_01',
          );
    },
  }),
  defineRule({
    code: 'GROUP_NAME_TOO_LONG',
    severity: 'error',
    manual: '§5.4',
    rule: 'The watcher group name is at most 16 characters.',
    check({ model }, report) {
      for (const g of model.groups)
        if (g.name.length > 16)
          report(
            at(g.specPath, 'group'),
            `group name "${g.name}" has ${g.name.length} characters, DM allows 16`,
            'shorten the group name',
          );
    },
  }),
  defineRule({
    code: 'GROUP_NAME_CHARS',
    severity: 'error',
    manual: '§5.4',
    rule: 'The group name starts with a letter and holds only letters, digits and underscores (it is an ini section name).',
    check({ model }, report) {
      for (const g of model.groups)
        if (!IDENT.test(g.name))
          report(
            at(g.specPath, 'group'),
            `group name "${g.name}" is not a plain identifier`,
            'use letters, digits and underscores, starting with a letter',
          );
    },
  }),
  defineRule({
    code: 'GROUP_NAME_DUPLICATE',
    severity: 'error',
    manual: '§2.2.14, 7.4.1',
    rule: 'Each data-guard group (each MPP node) has its own group name.',
    check({ model }, report) {
      const seen = new Set<string>();
      for (const g of model.groups) {
        if (seen.has(g.name.toUpperCase()))
          report(
            at(g.specPath, 'group'),
            `group name "${g.name}" is used twice`,
            'name the groups GRP1, GRP2, ...',
          );
        seen.add(g.name.toUpperCase());
      }
    },
  }),
  defineRule({
    code: 'GROUP_NAME_IS_INSTANCE',
    severity: 'warning',
    manual: '§2.3',
    rule: 'A group should not have the same name as an instance.',
    check({ model }, report) {
      const names = new Set(allInstances(model).map((i) => i.name.toUpperCase()));
      for (const g of model.groups)
        if (names.has(g.name.toUpperCase()))
          report(
            at(g.specPath, 'group'),
            `group "${g.name}" has the name of an instance`,
            'rename the group, e.g. GRP1',
          );
    },
  }),
  defineRule({
    code: 'HOST_NAME_INVALID',
    severity: 'error',
    manual: 'dmdeploy render layout',
    rule: 'Host keys are plain names (letters, digits, _ and -, starting with a letter): they name render directories and Terraform resources.',
    check({ model }, report) {
      for (const h of Object.keys(model.hosts))
        if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(h))
          report(`hosts.${h}`, `host key "${h}" is not a plain name`, 'rename the host key, e.g. DW_P');
    },
  }),
  defineRule({
    code: 'HOST_UNKNOWN',
    severity: 'error',
    manual: '7.2.1',
    rule: 'Every instance and monitor names a host defined under `hosts`.',
    check({ model }, report) {
      const known = Object.keys(model.hosts);
      const check = (host: string | undefined, path: string) => {
        if (host !== undefined && !(host in model.hosts))
          report(
            path,
            `host "${host}" is not defined`,
            `add it under hosts, or use one of: ${known.join(', ') || '(none defined)'}`,
          );
      };
      for (const i of allInstances(model)) check(i.host, at(i.specPath, 'host'));
      check(model.monitor?.host, 'monitor.host');
      for (const m of model.monitor?.multi?.instances ?? []) check(m.host, at(m.specPath, 'host'));
    },
  }),
  defineRule({
    code: 'DATABASE_NAME_CHARS',
    severity: 'error',
    manual: '7.2.2',
    rule: 'dbName (dminit DB_NAME, a directory under path) is a plain identifier.',
    check({ model }, report) {
      for (const d of allDatabases(model))
        for (const i of d.instances)
          if (i.dbName !== undefined && !IDENT.test(i.dbName))
            report(
              at(i.specPath, 'dbName'),
              `dbName "${i.dbName}" is not a plain identifier`,
              'use letters, digits and underscores, e.g. DAMENG',
            );
    },
  }),
];
