/** Ports (§5.1, §5.2, §5.7) and OGUIDs (§2.2.13, §2.2.14). */
import { allInstances, type PortField } from '../model';
import { PORT_FIELDS } from '../ports';
import { at, defineRule, inRange } from '../../../validate/rule';

const INI_NAME: Record<PortField, string> = {
  port: 'PORT_NUM',
  malPort: 'MAL_PORT',
  malDwPort: 'MAL_DW_PORT',
  instDwPort: 'MAL_INST_DW_PORT',
};

/** Example OGUIDs of chapter 7; the manual asks deployments to choose their own. */
const MANUAL_OGUIDS = new Set([453331, 453332, 45330, 45331, 1000]);

export const portRules = [
  defineRule({
    code: 'PORT_RANGE',
    severity: 'error',
    manual: '§5.1, §5.2',
    rule: 'PORT_NUM, MAL_PORT, MAL_DW_PORT, MAL_INST_DW_PORT and MON_PORT are in 1024-65534.',
    check({ model }, report) {
      for (const i of allInstances(model))
        for (const f of PORT_FIELDS)
          if (!inRange(i[f], 1024, 65534))
            report(
              at(i.specPath, f),
              `${INI_NAME[f]} ${i[f]} of ${i.name} is outside 1024-65534`,
              'pick a port in 1024-65534',
            );
      for (const m of model.monitor?.multi?.instances ?? [])
        if (!inRange(m.port, 1024, 65534))
          report(
            at(m.specPath, 'port'),
            `MON_PORT ${m.port} is outside 1024-65534`,
            'pick a port in 1024-65534',
          );
    },
  }),
  defineRule({
    code: 'MAL_PORT_CLASH',
    severity: 'error',
    manual: '§5.7 item 2',
    rule: "MAL_PORT differs from the same instance's PORT_NUM and MAL_INST_DW_PORT.",
    check({ model }, report) {
      for (const i of allInstances(model))
        for (const other of ['port', 'instDwPort'] as const)
          if (i.malPort === i[other])
            report(
              at(i.specPath, 'malPort'),
              `MAL_PORT ${i.malPort} of ${i.name} equals its ${INI_NAME[other]}`,
              'give MAL_PORT a port of its own',
            );
    },
  }),
  defineRule({
    code: 'PORT_REUSED_ON_HOST',
    severity: 'error',
    manual: '§5.7',
    rule: 'No port is used twice on one host (every instance listener, watcher port and monitor port).',
    check({ model }, report) {
      type Owner = { path: string; inst?: string; field?: PortField };
      const byHost = new Map<string, Map<number, Owner>>();
      const claim = (host: string, port: number, me: Owner, what: string) => {
        let ports = byHost.get(host);
        if (!ports) byHost.set(host, (ports = new Map()));
        const owner = ports.get(port);
        if (!owner) return void ports.set(port, me);
        // MAL_PORT against its own PORT_NUM / MAL_INST_DW_PORT is reported by MAL_PORT_CLASH
        const own = owner.inst !== undefined && owner.inst === me.inst;
        if (own && (owner.field === 'malPort' || me.field === 'malPort')) return;
        report(
          me.path,
          `${what} ${port} on host ${host} is already used by ${owner.path}`,
          'give each listener on a host its own port (or omit the port to have one allocated)',
        );
      };
      for (const i of allInstances(model))
        for (const f of PORT_FIELDS)
          claim(i.host, i[f], { path: at(i.specPath, f), inst: i.specPath, field: f }, INI_NAME[f]);
      for (const m of model.monitor?.multi?.instances ?? [])
        claim(m.host, m.port, { path: at(m.specPath, 'port') }, 'MON_PORT');
    },
  }),
  defineRule({
    code: 'OGUID_RANGE',
    severity: 'error',
    manual: '§2.2.13',
    rule: 'OGUID is in 0-2147483647.',
    check({ model }, report) {
      for (const g of model.groups)
        if (!inRange(g.oguid, 0, 2147483647))
          report(
            at(g.specPath, 'oguid'),
            `OGUID ${g.oguid} of group ${g.name} is outside 0-2147483647`,
            'choose an OGUID in 0-2147483647',
          );
    },
  }),
  defineRule({
    code: 'OGUID_DUPLICATE',
    severity: 'error',
    manual: '§2.2.14',
    rule: 'Each group has its own OGUID: watchers with the same OGUID form one group.',
    check({ model }, report) {
      const seen = new Map<number, string>();
      for (const g of model.groups) {
        const first = seen.get(g.oguid);
        if (first)
          report(
            at(g.specPath, 'oguid'),
            `OGUID ${g.oguid} of group ${g.name} is also the OGUID of group ${first}`,
            'give every group a distinct OGUID',
          );
        else seen.set(g.oguid, g.name);
      }
    },
  }),
  defineRule({
    code: 'OGUID_MANUAL_EXAMPLE',
    severity: 'warning',
    manual: '7.2 note',
    rule: "Avoid the manual's example OGUIDs; systems on one network must not share an OGUID.",
    check({ model }, report) {
      for (const g of model.groups)
        if (MANUAL_OGUIDS.has(g.oguid))
          report(
            at(g.specPath, 'oguid'),
            `OGUID ${g.oguid} is one of the manual's examples`,
            'choose an OGUID unique on your network',
          );
    },
  }),
];
