/** The DCP proxies' rules (seed 001; reference Part C.1). */
import { at, defineRule, inRange } from '../../../validate/rule';
import { allInstances, isMpp, type ClusterModel } from '../model';
import type { DcpModel } from './model';

const dcpOf = (model: ClusterModel): DcpModel | undefined => (isMpp(model) ? model.dcp : undefined);

export const dcpRules = [
  defineRule({
    code: 'DCP_HOST',
    severity: 'error',
    manual: '001 6.1, 6.2',
    rule: 'Each DCP proxy runs on a host of `hosts`.',
    check({ model }, report) {
      for (const p of dcpOf(model)?.proxies ?? [])
        if (!model.hosts[p.host])
          report(
            at(p.specPath, 'host'),
            `host ${p.host} of DCP proxy ${p.name} is not in hosts`,
            'add it to hosts',
          );
    },
  }),
  defineRule({
    code: 'DCP_NAME',
    severity: 'error',
    manual: '001 6.1.5; §5.1',
    rule: "A DCP proxy's INSTANCE_NAME is at most 16 letters, digits and underscores, and unique among every instance of the system.",
    check({ model }, report) {
      const dcp = dcpOf(model);
      if (!dcp) return;
      const taken = new Map(allInstances(model).map((i) => [i.name.toUpperCase(), i.specPath]));
      for (const p of dcp.proxies) {
        if (!/^[A-Za-z_][A-Za-z0-9_]{0,15}$/.test(p.name))
          report(
            at(p.specPath, 'name'),
            `DCP proxy name "${p.name}" is not 1-16 letters, digits and underscores starting with a letter`,
            'name it like DCP1 (001:L447 uses DCP)',
          );
        const first = taken.get(p.name.toUpperCase());
        if (first)
          report(
            at(p.specPath, 'name'),
            `${p.name} is also the name of ${first}`,
            'give each instance its own name',
          );
        taken.set(p.name.toUpperCase(), p.specPath);
      }
    },
  }),
  defineRule({
    code: 'DCP_PORTS',
    severity: 'error',
    manual: '001:L136, 6.1.5; §5.1',
    rule: "A proxy's PORT_NUM and DCP_PORT_NUM differ, lie in 1024-65534, and no other listener on its host uses them.",
    check({ model }, report) {
      const dcp = dcpOf(model);
      if (!dcp) return;
      const byHost = new Map<string, Map<number, string>>();
      const claim = (host: string, port: number, who: string) => {
        const m = byHost.get(host) ?? byHost.set(host, new Map()).get(host);
        if (!m) return undefined;
        const first = m.get(port);
        if (!first) m.set(port, who);
        return first;
      };
      for (const i of allInstances(model))
        for (const f of ['port', 'malPort', 'malDwPort', 'instDwPort'] as const)
          claim(i.host, i[f], at(i.specPath, f));
      for (const mi of model.monitor?.multi?.instances ?? [])
        claim(mi.host, mi.port, at(mi.specPath, 'port'));
      for (const p of dcp.proxies)
        for (const [f, ini] of [
          ['port', 'PORT_NUM'],
          ['dcpPort', 'DCP_PORT_NUM'],
        ] as const) {
          const where = at(p.specPath, f);
          if (!inRange(p[f], 1024, 65534))
            report(where, `${ini} ${p[f]} of ${p.name} is outside 1024-65534`, 'pick a port in 1024-65534');
          const first = claim(p.host, p[f], where);
          if (first)
            report(
              where,
              `${ini} ${p[f]} of ${p.name} on host ${p.host} is already used by ${first}`,
              'give each listener on a host its own port (or omit it to have one allocated)',
            );
        }
    },
  }),
  defineRule({
    code: 'DCP_POOL_SIZE',
    severity: 'error',
    manual: '001:L197',
    rule: 'DCP_CONN_POOL_SIZE is in 1-10000.',
    check({ model }, report) {
      const size = dcpOf(model)?.poolSize;
      if (size !== undefined && !inRange(size, 1, 10000))
        report(
          'dcp.poolSize',
          `DCP_CONN_POOL_SIZE ${size} is outside 1-10000`,
          'pick a pool size in 1-10000',
        );
    },
  }),
  defineRule({
    code: 'DCP_LOGIN_USER',
    severity: 'error',
    manual: '001:L240-248',
    rule: "The DCP logs in to the EPs as SYSDBA, with the cluster's SYSDBA password: a login of its own would need a secret source dmdeploy does not read yet.",
    check({ model }, report) {
      const dcp = dcpOf(model);
      if (dcp && dcp.loginUser.toUpperCase() !== 'SYSDBA')
        report(
          'dcp.loginUser',
          `the DCP would log in to the EPs as ${dcp.loginUser}, whose password dmdeploy has no source for`,
          'omit loginUser (SYSDBA); after the deploy, SP_DCP_SET_LOGIN another DBA login on each proxy yourself',
        );
    },
  }),
  defineRule({
    code: 'DCP_PATH',
    severity: 'error',
    manual: '001 6.1.5; 7.1.1',
    rule: "A proxy's dminit path is absolute and no other database's on its host.",
    check({ model }, report) {
      const dcp = dcpOf(model);
      if (!dcp) return;
      const paths = new Map<string, string>();
      for (const i of allInstances(model)) if (i.initPath) paths.set(`${i.host}\0${i.initPath}`, i.specPath);
      for (const p of dcp.proxies) {
        if (!p.initPath.startsWith('/'))
          report(
            at(p.specPath, 'path'),
            `path ${p.initPath} of ${p.name} is not absolute`,
            'write an absolute path',
          );
        const key = `${p.host}\0${p.initPath}`;
        const first = paths.get(key);
        if (first)
          report(
            at(p.specPath, 'path'),
            `path ${p.initPath} on ${p.host} is also ${first}'s`,
            'give each database its own path',
          );
        paths.set(key, p.specPath);
      }
    },
  }),
  defineRule({
    code: 'DCP_ON_EP_HOST',
    severity: 'warning',
    manual: '001:L346, L545, L580',
    rule: 'Each DCP proxy runs on a host of its own, as every example of 001 does: a host that also runs an EP shares its failure.',
    check({ model }, report) {
      const epHosts = new Set(allInstances(model).map((i) => i.host));
      for (const p of dcpOf(model)?.proxies ?? [])
        if (epHosts.has(p.host))
          report(
            at(p.specPath, 'host'),
            `DCP proxy ${p.name} shares host ${p.host} with an MPP instance`,
            'put each proxy on a host of its own (001 6.2)',
          );
    },
  }),
];
