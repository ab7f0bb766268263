/** The DpcCluster rules (003 chapter 7; reference Part C.1), each with a code, a section and a fix. */
import path from 'node:path/posix';
import { at, defineRule, inRange, type Rule } from '../../validate/rule';
import { terraformRules } from '../../validate/rules/terraform';
import { dpcNodes, isMultiReplica, type DpcModel, type DpcPortField } from './model';
import { MP_RAFT } from './resolve';
import type { DpcClusterSpec } from './schema';

export interface DpcRuleContext {
  spec: DpcClusterSpec;
  model: DpcModel;
}

const rule = (r: Rule<DpcRuleContext>) => defineRule<DpcRuleContext>(r);
const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;
const INI_NAME: Record<DpcPortField, string> = { port: 'PORT_NUM', apPort: 'AP_PORT_NUM', mpPort: 'mp_port' };

/**
 * dm.ini keys the DMDPC steps set themselves (003 7.1.1, 7.2.7.1), and those a data-guard group's
 * files would switch on (MAL_INI, TIMER_INI, MPP_INI, DW_PORT), which a DMDPC node has none of.
 */
export const DPC_MANAGED_DM_INI_KEYS = [
  'INSTANCE_NAME',
  'PORT_NUM',
  'MAL_INI',
  'ARCH_INI',
  'TIMER_INI',
  'MPP_INI',
  'DW_PORT',
  'DPC_MODE',
  'AP_PORT_NUM',
  'ALTER_MODE_STATUS',
];

function portsOf(m: DpcModel) {
  return dpcNodes(m).flatMap((n) =>
    (['port', 'apPort', 'mpPort'] as const).flatMap((f) =>
      n[f] === undefined ? [] : [{ node: n, field: f, port: n[f] }],
    ),
  );
}

const ownRules: readonly Rule<DpcRuleContext>[] = [
  rule({
    code: 'DPC_ROLE_COUNT',
    severity: 'error',
    manual: '003 7 (introduction)',
    rule: 'A DMDPC system has at least one MP, one BP and one SP.',
    check({ model }, report) {
      if (!model.bpRafts.length) report('bp', 'no BP', 'add a BP RAFT group with one replica at least');
      if (!model.spRafts.length) report('sp', 'no SP', 'add an SP: clients connect to SPs only');
    },
  }),
  rule({
    code: 'DPC_HOST_UNKNOWN',
    severity: 'error',
    manual: '003 7.1',
    rule: 'Every instance names a host of `hosts`.',
    check({ model }, report) {
      for (const n of dpcNodes(model))
        if (!model.hosts[n.host])
          report(
            at(n.specPath, 'host'),
            `host "${n.host}" is not in hosts`,
            'add it to hosts or correct the name',
          );
    },
  }),
  rule({
    code: 'DPC_INSTANCE_NAME',
    severity: 'error',
    manual: '§5.1; 003 7.1.4',
    rule: 'Instance names have at most 16 characters, start with a letter, hold letters, digits and _, and are unique (they are registered on the MP).',
    check({ model }, report) {
      const seen = new Map<string, string>();
      for (const n of dpcNodes(model)) {
        const where = at(n.specPath, 'name');
        if (n.name.length > 16 || !IDENT.test(n.name))
          report(
            where,
            `instance name "${n.name}" is not an identifier of at most 16 characters`,
            'use letters, digits and _, starting with a letter, 16 at most',
          );
        const key = n.name.toUpperCase();
        const first = seen.get(key);
        if (first)
          report(where, `instance name ${n.name} is also ${first}`, 'give each instance its own name');
        else seen.set(key, n.specPath);
      }
    },
  }),
  rule({
    code: 'DPC_RAFT_NAME',
    severity: 'error',
    manual: '003 7.1.4, 7.1.5',
    rule: "RAFT group names are identifiers, unique, distinct from instance names; MP_RAFT is the MP group's own.",
    check({ model }, report) {
      const instances = new Set(dpcNodes(model).map((n) => n.name.toUpperCase()));
      const seen = new Set<string>();
      for (const r of [...model.bpRafts, ...model.spRafts]) {
        const where = at(r.specPath, r.role === 'SP' ? 'raft' : 'raft');
        const key = r.name.toUpperCase();
        if (key === MP_RAFT)
          report(
            where,
            `${MP_RAFT} is the MP group's name in DPC_BP_RAFT (RAFT_ID 0)`,
            'choose another RAFT name',
          );
        else if (!IDENT.test(r.name) || r.name.length > 16)
          report(
            where,
            `RAFT name "${r.name}" is not an identifier of at most 16 characters`,
            'use letters, digits and _',
          );
        else if (seen.has(key))
          report(where, `RAFT group ${r.name} is named twice`, 'give each RAFT group its own name');
        else if (instances.has(key))
          report(
            where,
            `RAFT group ${r.name} has an instance's name`,
            'name RAFT groups apart from instances, e.g. RAFT_1',
          );
        seen.add(key);
      }
    },
  }),
  rule({
    code: 'DPC_PORT_RANGE',
    severity: 'error',
    manual: '§5.1; 003 table 7.1',
    rule: 'PORT_NUM, AP_PORT_NUM and mp_port are in 1024-65534.',
    check({ model }, report) {
      for (const p of portsOf(model))
        if (!inRange(p.port, 1024, 65534))
          report(
            at(p.node.specPath, p.field),
            `${INI_NAME[p.field]} ${p.port} of ${p.node.name} is outside 1024-65534`,
            'pick a port in 1024-65534',
          );
    },
  }),
  rule({
    code: 'DPC_PORT_REUSED_ON_HOST',
    severity: 'error',
    manual: '003 tables 7.1-7.3',
    rule: 'PORT_NUM, AP_PORT_NUM and mp_port are all distinct on one host.',
    check({ model }, report) {
      const seen = new Map<string, string>();
      for (const p of portsOf(model)) {
        const key = `${p.node.host}:${p.port}`;
        const first = seen.get(key);
        if (first)
          report(
            at(p.node.specPath, p.field),
            `port ${p.port} on ${p.node.host} is also ${first}`,
            'give it a free port, or omit it to have one allocated',
          );
        else seen.set(key, `${INI_NAME[p.field]} of ${p.node.name}`);
      }
    },
  }),
  rule({
    code: 'DPC_MP_PORT_VS_AP',
    severity: 'error',
    manual: '003 7.1.2',
    rule: 'No mp_port equals any AP_PORT_NUM of the system ("不能与 MP、BP、SP 的 ap_port_num 冲突").',
    check({ model }, report) {
      const ap = new Map(dpcNodes(model).map((n) => [n.apPort, n.name]));
      for (const m of model.mp.members)
        if (m.mpPort !== undefined && ap.has(m.mpPort))
          report(
            at(m.specPath, 'mpPort'),
            `mp_port ${m.mpPort} of ${m.name} is the AP_PORT_NUM of ${ap.get(m.mpPort)}`,
            'choose an mp_port no instance uses as AP_PORT_NUM',
          );
    },
  }),
  rule({
    code: 'DPC_RAFT_SIZE',
    severity: 'error',
    manual: '003 7.2 (3 replicas), 7.3',
    rule: 'A RAFT group has one replica, or an odd number from 3 to 9.',
    check({ model }, report) {
      for (const r of [model.mp, ...model.bpRafts]) {
        const n = r.members.length;
        if (n > 1 && (n % 2 === 0 || n < 3 || n > 9))
          report(
            at(r.specPath, r.role === 'MP' ? '' : 'replicas').replace(/\.$/, ''),
            `${r.name} has ${n} replicas`,
            'use 1 replica, or 3, 5, 7 or 9 so that a majority can elect a leader',
          );
      }
    },
  }),
  rule({
    code: 'DPC_RAFT_VOTE',
    severity: 'error',
    manual: '003 7.2.7.3',
    rule: 'RAFT_VOTE_INTERVAL differs between the members of a group ("三个库设置不同以尽快选出主库").',
    check({ model }, report) {
      for (const r of [model.mp, ...model.bpRafts]) {
        const seen = new Map<number, string>();
        for (const m of r.members) {
          if (m.voteInterval === undefined) continue;
          const first = seen.get(m.voteInterval);
          if (first)
            report(
              at(m.specPath, 'voteInterval'),
              `RAFT_VOTE_INTERVAL ${m.voteInterval} of ${m.name} is also ${first}'s`,
              'give each member of the group its own vote interval',
            );
          else seen.set(m.voteInterval, m.name);
        }
      }
    },
  }),
  rule({
    code: 'DPC_SHADOW_PLACE',
    severity: 'error',
    manual: '003 7.5',
    rule: 'A shadow replica belongs to a multi-replica group, is not its first member (whose backup builds it), and leaves a non-shadow peer besides the first.',
    check({ model }, report) {
      for (const r of [model.mp, ...model.bpRafts])
        r.members.forEach((m, i) => {
          if (!m.shadow) return;
          if (!isMultiReplica(r) || i === 0)
            report(
              at(m.specPath, 'shadow'),
              `${m.name} cannot be a shadow: it is ${i === 0 ? 'the first member, the RAFT primary whose backup builds the others' : 'a single replica'}`,
              'make a later member of a multi-replica group the shadow',
            );
          else if (r.members.slice(1).every((x) => x.shadow))
            report(
              at(m.specPath, 'shadow'),
              `every member of ${r.name} but the first is a shadow`,
              'keep a non-shadow replica besides the first',
            );
        });
    },
  }),
  rule({
    code: 'DPC_BP_GROUP_REF',
    severity: 'error',
    manual: '003 7.1.4',
    rule: 'BP groups list existing BP RAFT groups, and every BP RAFT group is in exactly one BP group.',
    check({ model }, report) {
      const bp = new Set(model.bpRafts.map((r) => r.name));
      const owner = new Map<string, string>();
      const names = new Set<string>();
      for (const g of model.bpGroups) {
        if (names.has(g.name))
          report(
            at(g.specPath, 'name'),
            `BP group ${g.name} is named twice`,
            'give each BP group its own name',
          );
        names.add(g.name);
        g.rafts.forEach((r, i) => {
          if (!bp.has(r))
            report(
              `${g.specPath}.rafts[${i}]`,
              `${r} is not a BP RAFT group`,
              `use one of ${[...bp].join(', ')}`,
            );
          else if (owner.has(r))
            report(
              `${g.specPath}.rafts[${i}]`,
              `${r} is already in BP group ${owner.get(r)}`,
              'put each BP RAFT group in one BP group',
            );
          else owner.set(r, g.name);
        });
      }
      for (const r of model.bpRafts)
        if (!owner.has(r.name))
          report(r.specPath, `${r.name} is in no BP group`, 'add it to a BP group in bpGroups');
    },
  }),
  rule({
    code: 'DPC_FAULT_DOMAIN_REF',
    severity: 'error',
    manual: '003 7.1.4',
    rule: 'Fault domains have distinct names and move existing instances, each into one domain.',
    check({ model }, report) {
      const known = new Set(dpcNodes(model).map((n) => n.name));
      const owner = new Map<string, string>();
      const names = new Set<string>();
      for (const f of model.faultDomains) {
        if (names.has(f.name))
          report(
            at(f.specPath, 'name'),
            `fault domain ${f.name} is named twice`,
            'give each domain its own name',
          );
        names.add(f.name);
        f.instances.forEach((inst, i) => {
          const where = `${f.specPath}.instances[${i}]`;
          if (!known.has(inst))
            report(where, `${inst} is not an instance of this cluster`, 'name an MP, BP or SP of the spec');
          else if (owner.has(inst))
            report(
              where,
              `${inst} is already in ${owner.get(inst)}`,
              'move each instance into one fault domain',
            );
          else owner.set(inst, f.name);
        });
      }
    },
  }),
  rule({
    code: 'DPC_PATH',
    severity: 'error',
    manual: '003 7.1.1',
    rule: 'Every instance has its own absolute dminit path on its host, without spaces.',
    check({ model }, report) {
      const seen = new Map<string, string>();
      for (const n of dpcNodes(model)) {
        const where = at(n.specPath, 'path');
        if (!path.isAbsolute(n.initPath) || /\s/.test(n.initPath))
          report(
            where,
            `path ${n.initPath} of ${n.name} is not an absolute path without spaces`,
            'use an absolute path such as /dm/data/bp1',
          );
        const key = `${n.host}:${n.iniPath}`;
        const first = seen.get(key);
        if (first)
          report(
            where,
            `${n.name} and ${first} would share ${n.iniPath} on ${n.host}`,
            'give each instance its own path',
          );
        else seen.set(key, n.name);
      }
    },
  }),
  rule({
    code: 'DPC_ARCHIVE_RANGE',
    severity: 'error',
    manual: '§5.3',
    rule: 'archive.fileSize is 64-2048 MB; archive.spaceLimit is 0 or 1024-2147483647 MB.',
    check({ model }, report) {
      if (!inRange(model.archive.fileSize, 64, 2048))
        report(
          'archive.fileSize',
          `ARCH_FILE_SIZE ${model.archive.fileSize} is outside 64-2048`,
          'pick 64-2048 (MB)',
        );
      const l = model.archive.spaceLimit;
      if (l !== 0 && !inRange(l, 1024, 2147483647))
        report(
          'archive.spaceLimit',
          `ARCH_SPACE_LIMIT ${l} is neither 0 nor 1024-2147483647`,
          'use 0 (no limit) or 1024-2147483647 (MB)',
        );
    },
  }),
  rule({
    code: 'DPC_DM_INI_MANAGED_KEY',
    severity: 'error',
    manual: '003 7.1.1, 7.2.7.1',
    rule: `dmIni does not set keys the DMDPC steps set (${DPC_MANAGED_DM_INI_KEYS.join(', ')}).`,
    check({ model }, report) {
      for (const k of Object.keys(model.dmIni))
        if (DPC_MANAGED_DM_INI_KEYS.includes(k.toUpperCase()))
          report(
            `dmIni.${k}`,
            `${k} is set by dmdeploy for DMDPC`,
            'remove it from dmIni; set the role, ports or replicas in the spec instead',
          );
    },
  }),
  rule({
    code: 'DPC_VOTE_INTERVAL_SINGLE',
    severity: 'error',
    manual: '003 7.2.7.3',
    rule: 'voteInterval and shadow belong to members of a multi-replica group (a single replica has no RAFT archive).',
    check({ spec }, report) {
      const single = (replicas: { voteInterval?: number; shadow?: boolean }[], at0: string) => {
        if (replicas.length !== 1) return;
        if (replicas[0]?.voteInterval !== undefined)
          report(
            `${at0}[0].voteInterval`,
            'a single replica takes part in no election: its voteInterval would be dropped',
            'remove voteInterval, or add replicas to make a RAFT group of 3 or more',
          );
      };
      single(spec.mp.replicas, 'mp.replicas');
      spec.bp.forEach((g, i) => single(g.replicas, `bp[${i}].replicas`));
    },
  }),
  rule({
    code: 'DPC_CLIENT_SERVICE_NAME',
    severity: 'error',
    manual: '§5.8',
    rule: 'The dm_svc.conf service name over the SPs is a plain identifier.',
    check({ model }, report) {
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(model.client.serviceName))
        report(
          'client.serviceName',
          `service name "${model.client.serviceName}" is not a plain identifier`,
          'use letters, digits and underscores',
        );
    },
  }),
];

/** Every rule a DpcCluster is held to: its own, and the Terraform ones every family shares. */
export const dpcRules: readonly Rule<DpcRuleContext>[] = [...ownRules, ...terraformRules];
