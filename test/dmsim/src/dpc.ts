/**
 * DMDPC (DM8 manual chapter 7 of seed 003, cited "003 7.x" or "003:L<line>"): the MP catalogue
 * and its registration procedures, mp.ini lookups of the MP (the leader of an MP RAFT), the SP's
 * view of the cluster, BP/MP RAFT groups (election, coordinated exit) and the HALT of dependants
 * that lose their MP or their BP group.
 *
 * One DpcNode lives inside a DMDPC dmserver. It listens on AP_PORT_NUM (XMAL: peers and the SP
 * probe it there) and, on an MP, on its mp_port (mp.ini: SP and BP look the MP up there).
 */
import type net from 'node:net';
import { DmError, E, env, logAction } from './common';
import { loadArchIniFull, loadMpIni, type Archive, type DmIni, type MpEntry } from './config';
import { requestOnce, serveJson, type Msg } from './net';
import type { Cell, DpcProc, View } from './sql';
import { updateState, type DbState, type DpcCatalog, type DpcInst, type DpcRole } from './state';

/** What the DpcNode needs of its dmserver. */
export interface DpcHost {
  ini: DmIni;
  status: 'MOUNT' | 'OPEN';
  shuttingDown: boolean;
  archives: Archive[];
  params: Map<string, string>;
  timers: NodeJS.Timeout[];
  servers: net.Server[];
  refresh(): DbState;
  writeRuntime(): void;
  opened(how: string): void;
  listenAddrs(): string[];
  shutdown(why: string): Promise<void>;
  halt(reason: string): Promise<void>;
}

interface Member {
  name: string;
  ip: string;
  xmalPort: number;
}

interface RaftCfg {
  group: string;
  raftId: number;
  members: Member[];
  selfId: number;
  voteInterval: number;
  /** ARCH_DEST (peer name, upper case) -> ARCH_DEST_ID. */
  destIds: Map<string, number>;
}

type RaftRole = 'candidate' | 'leader' | 'follower';

interface RaftInfo {
  group: string;
  selfId: number;
  voteInterval: number;
  state: RaftRole;
  joined: boolean;
  leader: string | null;
  destIds: Record<string, number>;
}

interface Probe {
  instance: string;
  role: DpcRole;
  status: string;
  mode: string;
  permanentMagic: number;
  dbMagic: number;
  diverged: boolean;
  shadow: boolean;
  raft: RaftInfo | null;
  catalog?: DpcCatalog;
}

export const DPC_TABLES = ['DPC_BP_RAFT', 'DPC_BP_GROUP', 'DPC_INSTANCE'];

const up = (s: string) => s.toUpperCase();
const tick = () => Math.max(20, env.tickMs());
/**
 * How long a dependant waits for its MP or BP group before it HALTs (bounded heartbeat): 3 s, so
 * that an MP RAFT group re-elects its leader well within it on a loaded machine too.
 */
export const graceMs = () => Math.max(3000, tick() * 15);
const probeMs = () => Math.max(300, tick() * 3);

export function emptyCatalog(): DpcCatalog {
  return { version: 0, rafts: [], groups: [], insts: [], fdoms: [] };
}

// ------------------------------------------------------------------ the catalogue (MP)

function refuse(msg: string, section = '003 7.1.4'): DmError {
  return new DmError(E.INVALID_ARG, msg, section);
}

/** Apply one registration procedure to the MP's catalogue (003 7.1.4, 7.2.4, 7.3.4). */
export function applyProc(
  cat: DpcCatalog,
  selfName: string,
  name: DpcProc,
  a: (string | number | null)[],
): Record<string, unknown> {
  const want = (n: number, shape: string) => {
    if (a.length !== n) throw refuse(`${name}${shape}: ${n} arguments expected, ${a.length} given`);
  };
  const str = (i: number, what: string, allowEmpty = false): string => {
    const v = a[i];
    if (typeof v !== 'string' || (!allowEmpty && !v.trim()))
      throw refuse(`${name}: argument ${i + 1} (${what}) must be a quoted string`);
    return v.trim();
  };
  const int = (i: number, what: string): number => {
    const v = a[i];
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw refuse(`${name}: argument ${i + 1} (${what}) must be an integer`);
    return v;
  };
  const raftBy = (n: string) => cat.rafts.find((r) => up(r.name) === up(n));
  const instBy = (n: string) => cat.insts.find((i) => up(i.name) === up(n));
  // 003:L78: "只有在注册当前登录 MP 节点后，才可以注册其余节点"
  if (!cat.insts.length && name !== 'SP_CREATE_DPC_INSTANCE')
    throw refuse(
      `${name} refused: register the current MP (${selfName}) first, with SP_CREATE_DPC_INSTANCE(NULL,'${selfName}','MP',...); only then can anything else be registered`,
      '003 7.1.4 (003:L78)',
    );
  switch (name) {
    case 'SP_CREATE_DPC_INSTANCE': {
      want(
        10,
        '(raft|NULL, name, mode, ap_port, port, ip_internal, ip_external, sys_mode, status, description)',
      );
      const raftArg = a[0];
      const inst = str(1, 'instance name');
      const mode = up(str(2, "'MP'|'BP'|'SP'"));
      const ap = int(3, 'AP_PORT_NUM');
      const port = int(4, 'PORT_NUM');
      const ipInt = str(5, 'internal IP');
      const ipExt = str(6, 'external IP', true);
      const sysMode = up(str(7, "'NORMAL'|'STANDBY'"));
      const status = int(8, 'status');
      const desc = a[9] === null ? '' : str(9, 'description', true);
      if (mode !== 'MP' && mode !== 'BP' && mode !== 'SP')
        throw refuse(`${name}: mode ${mode} must be 'MP', 'BP' or 'SP'`);
      if (sysMode !== 'NORMAL' && sysMode !== 'STANDBY')
        throw refuse(`${name}: sys_mode ${sysMode} must be 'NORMAL' or 'STANDBY'`, '003 7.2.4 (003:L303)');
      if (!/^[A-Za-z_][\w$#]*$/.test(inst) || inst.length > 16)
        throw refuse(`${name}: instance name ${inst} must be an identifier of at most 16 characters`, '§5.1');
      for (const [p, what] of [
        [ap, 'AP_PORT_NUM'],
        [port, 'PORT_NUM'],
      ] as const)
        if (p < 1024 || p > 65534) throw refuse(`${name}: ${what} ${p} is outside 1024~65534`, '§5.1');
      if (ap === port) throw refuse(`${name}: AP_PORT_NUM and PORT_NUM must differ`, '003 7.1.1');
      if (!cat.insts.length && (mode !== 'MP' || up(inst) !== up(selfName)))
        throw refuse(
          `${name}('${inst}') refused: the first registration must be the current MP itself (${selfName}, mode 'MP')`,
          '003 7.1.4 (003:L78)',
        );
      if (instBy(inst)) throw refuse(`${name}: instance ${inst} is already registered`);
      let raftId: number;
      if (mode === 'MP') {
        if (raftArg !== null && (typeof raftArg !== 'string' || up(raftArg) !== 'MP_RAFT'))
          throw refuse(
            `${name}: an MP belongs to the implicit MP_RAFT group; give NULL or 'MP_RAFT', not ${JSON.stringify(raftArg)}`,
            '003 7.1.4 (003:L85)',
          );
        if (!cat.rafts.some((r) => r.id === 0)) cat.rafts.unshift({ id: 0, name: 'MP_RAFT', mode: 'MP' });
        raftId = 0;
      } else {
        if (typeof raftArg !== 'string')
          throw refuse(`${name}: a ${mode} instance needs its RAFT group name (argument 1)`, '003 7.1.4');
        const r = raftBy(raftArg);
        if (!r)
          throw refuse(
            `${name}: RAFT group ${raftArg} does not exist; create it first with SP_CREATE_DPC_RAFT('${mode}','${raftArg}')`,
            '003 7.1.4 (003:L89-92)',
          );
        if (r.mode !== mode)
          throw refuse(
            `${name}: ${inst} is a ${mode} but RAFT group ${r.name} is a ${r.mode} group`,
            '003 7.1.4 (003:L90, L107)',
          );
        raftId = r.id;
      }
      const row: DpcInst = {
        raftId,
        instId: 4096 + cat.insts.length,
        name: inst,
        mode,
        xmalPort: ap,
        instPort: port,
        ipInternal: ipInt,
        ipExternal: ipExt,
        sysMode,
        sysStatus: 6,
        status,
        description: desc,
        // outside any fault domain until SP_FAULT_DOMAIN_MV_INST (003:L145-161)
        info1: null,
      };
      cat.insts.push(row);
      return { proc: name, instance: inst, mode, raftId, instId: row.instId };
    }
    case 'SP_CREATE_DPC_RAFT': {
      want(2, "('BP'|'SP', name)");
      const mode = up(str(0, "'BP'|'SP'"));
      const rn = str(1, 'RAFT group name');
      if (mode === 'MP')
        throw refuse(
          `${name}: the MP group MP_RAFT is created with the MP itself; register MPs with raft NULL or 'MP_RAFT'`,
          '003 7.1.4 (003:L85)',
        );
      if (mode !== 'BP' && mode !== 'SP') throw refuse(`${name}: mode ${mode} must be 'BP' or 'SP'`);
      if (raftBy(rn) || up(rn) === 'MP_RAFT') throw refuse(`${name}: RAFT group ${rn} already exists`);
      const id = Math.max(0, ...cat.rafts.map((r) => r.id)) + 1;
      cat.rafts.push({ id, name: rn, mode });
      return { proc: name, raft: rn, mode, raftId: id };
    }
    case 'SP_CREATE_DPC_BP_GROUP': {
      want(2, '(name, description)');
      const g = str(0, 'BP group name');
      const d = a[1] === null ? '' : str(1, 'description', true);
      if (cat.groups.some((x) => up(x.name) === up(g))) throw refuse(`${name}: BP group ${g} already exists`);
      cat.groups.push({ id: cat.groups.length + 1, name: g, description: d, rafts: [] });
      return { proc: name, group: g };
    }
    case 'SP_BP_GROUP_ADD_RAFT': {
      want(2, '(bp_group, raft)');
      const g = str(0, 'BP group name');
      const rn = str(1, 'RAFT group name');
      const grp = cat.groups.find((x) => up(x.name) === up(g));
      if (!grp)
        throw refuse(
          `${name}: BP group ${g} does not exist; create it first with SP_CREATE_DPC_BP_GROUP`,
          '003 7.1.4 (003:L99-103)',
        );
      const r = raftBy(rn);
      if (!r)
        throw refuse(
          `${name}: RAFT group ${rn} does not exist; create it first with SP_CREATE_DPC_RAFT('BP','${rn}')`,
          '003 7.1.4 (003:L99-103)',
        );
      if (r.mode !== 'BP')
        throw refuse(
          `${name}: ${rn} is a ${r.mode} RAFT group; a BP group holds BP RAFT groups`,
          '003 7.1.4',
        );
      const other = cat.groups.find((x) => x.rafts.includes(r.id));
      if (other)
        throw refuse(
          `${name}: RAFT group ${rn} is already in BP group ${other.name} (dmsim: a BP RAFT group is in one BP group)`,
          '003 7.1.4',
        );
      grp.rafts.push(r.id);
      return { proc: name, group: grp.name, raft: r.name };
    }
    case 'SP_CREATE_FAULT_DOMAIN': {
      want(2, '(name, description)');
      const f = str(0, 'fault domain name');
      const d = a[1] === null ? '' : str(1, 'description', true);
      if (cat.fdoms.some((x) => up(x.name) === up(f)))
        throw refuse(`${name}: fault domain ${f} already exists`);
      cat.fdoms.push({ id: cat.fdoms.length + 1, name: f, description: d, insts: [] });
      return { proc: name, faultDomain: f };
    }
    case 'SP_FAULT_DOMAIN_MV_INST': {
      want(2, '(fault_domain, instance)');
      const f = str(0, 'fault domain name');
      const i = str(1, 'instance name');
      const dom = cat.fdoms.find((x) => up(x.name) === up(f));
      if (!dom)
        throw refuse(
          `${name}: fault domain ${f} does not exist; create it first with SP_CREATE_FAULT_DOMAIN`,
          '003 7.1.4 (003:L111-116)',
        );
      const row = instBy(i);
      if (!row)
        throw refuse(
          `${name}: instance ${i} is not registered; register it first`,
          '003 7.1.4 (003:L111-116)',
        );
      for (const d of cat.fdoms) d.insts = d.insts.filter((x) => up(x) !== up(row.name));
      dom.insts.push(row.name);
      // INFO1 = the domain's id × 65536: NULL before the move and 65536 after for FDOM_1
      // (003:L145-161); FDOM_k's members at k × 65536 (003:L372-378, L755-758)
      row.info1 = dom.id * 65536;
      return { proc: name, faultDomain: dom.name, instance: row.name };
    }
  }
}

/** RAFT_INFO: the group's raft ids as 2-byte little-endian hex (003:L134 '0x01000200' for {1,2}). */
export function raftInfoHex(ids: number[]): string {
  return (
    '0x' +
    ids
      .map((id) =>
        [id & 0xff, (id >> 8) & 0xff].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(''),
      )
      .join('')
  );
}

/** The three system tables over the catalogue (003 7.1.5). */
export function catalogTable(cat: DpcCatalog, name: string): View | undefined {
  switch (name) {
    case 'DPC_BP_RAFT':
      return {
        columns: ['RAFT_ID', 'GROUP_ID', 'DPC_MODE', 'NAME', 'IS_VALID', 'INFO1', 'INFO2', 'INFO3'],
        // GROUP_ID stays -1 even after SP_BP_GROUP_ADD_RAFT (003:L140-143)
        rows: [...cat.rafts]
          .sort((x, y) => x.id - y.id)
          .map((r) => [r.id, -1, r.mode, r.name, 1, null, null, null]),
      };
    case 'DPC_BP_GROUP':
      return {
        columns: ['ID', 'NAME', 'DESCRIPTION', 'RAFT_NUM', 'RAFT_INFO', 'INFO1', 'INFO2', 'INFO3'],
        rows: cat.groups.map((g) => [
          g.id,
          g.name,
          g.description,
          g.rafts.length,
          raftInfoHex(g.rafts),
          0,
          null,
          null,
        ]),
      };
    case 'DPC_INSTANCE':
      return {
        columns: [
          'RAFT_ID',
          'INST_ID',
          'NAME',
          'DPC_MODE',
          'XMAL_PORT',
          'INST_PORT',
          'IP_INTERNAL',
          'SYS_MODE',
          'SYS_STATUS',
          'STATUS',
          'DESCRIPTION',
          'IP_EXTERNAL',
          'INFO1',
          'INFO2',
          'INFO3',
        ],
        rows: cat.insts.map((i) => [
          i.raftId,
          i.instId,
          i.name,
          i.mode,
          i.xmalPort,
          i.instPort,
          i.ipInternal,
          i.sysMode,
          i.sysStatus,
          i.status,
          i.description,
          i.ipExternal || i.ipInternal, // '' shows the internal IP (003:L700, L755)
          i.info1,
          null,
          null,
        ]),
      };
    default:
      return undefined;
  }
}

// ------------------------------------------------------------------ the node

export class DpcNode {
  readonly role: DpcRole;
  mp: MpEntry[] = [];
  mpSelf?: MpEntry;
  raft?: RaftCfg;
  raftRole: RaftRole = 'candidate';
  leader: string | null = null;
  /** SP/BP: the catalogue as the MP leader last gave it. */
  cat?: DpcCatalog;
  lastMpOk = Date.now();
  /** SP: per BP RAFT group, when a valid member was last seen (only groups seen valid once). */
  bpValidSeen = new Map<string, number>();
  peers = new Map<string, Probe | undefined>();
  refusedLogged = new Set<string>();
  lastUpdate = '';
  busy = false;

  constructor(
    readonly host: DpcHost,
    readonly dpcModeArg: string | undefined,
    readonly mount: boolean,
  ) {
    const s = host.refresh();
    this.role = s.dpc?.role ?? 'SP';
  }

  get name(): string {
    return this.host.ini.instanceName;
  }

  /** Every check before the server listens (003 7.1.3, 7.1.4 注意, 7.2.7, 7.3.6). */
  async check(): Promise<void> {
    const ini = this.host.ini;
    const s = this.host.refresh();
    const arg = this.dpcModeArg === undefined ? undefined : up(this.dpcModeArg);
    if (!s.dpc) {
      throw new DmError(
        E.CONFIG,
        `dpc_mode=${this.dpcModeArg} given, but database ${s.dbName} was not initialised for DMDPC (dminit DPC_MODE=...)`,
        '003 7.1.1',
      );
    }
    if (arg === undefined)
      throw new DmError(
        E.CONFIG,
        `${this.name} is a DMDPC ${s.dpc.role} (dminit DPC_MODE=${s.dpc.role}); start it with dpc_mode=${s.dpc.role}`,
        '003 7.1.3, 7.1.6',
      );
    if (arg !== 'MP' && arg !== 'BP' && arg !== 'SP')
      throw new DmError(E.INVALID_ARG, `dpc_mode=${this.dpcModeArg} must be MP, BP or SP`, '003 7.1.3');
    if (arg !== s.dpc.role)
      throw new DmError(
        E.CONFIG,
        `dpc_mode=${arg} but ${this.name} was initialised as a ${s.dpc.role} (dminit DPC_MODE=${s.dpc.role})`,
        '003 7.1.1, 7.1.6',
      );
    if (ini.apPortNum === undefined)
      throw new DmError(E.CONFIG, `${ini.file}: a DMDPC instance needs AP_PORT_NUM`, '003 7.1.1');
    this.mp = loadMpIni(ini).entries;
    if (this.role === 'MP') {
      this.mpSelf =
        this.mp.length === 1 && this.mp[0]?.name === undefined
          ? this.mp[0]
          : this.mp.find((e) => e.name !== undefined && up(e.name) === up(this.name));
      if (!this.mpSelf)
        throw new DmError(
          E.CONFIG,
          `mp.ini has no [${this.name}] section: in the MP RAFT form each MP finds its mp_port in the section named by its instance name`,
          '003 7.3.2',
        );
      if (this.mpSelf.port === ini.apPortNum || this.mpSelf.port === ini.portNum)
        throw new DmError(
          E.CONFIG,
          `mp_port ${this.mpSelf.port} collides with this MP's PORT_NUM/AP_PORT_NUM`,
          '003 7.1.2 (003:L46)',
        );
    }
    if (this.role === 'SP' && this.mount)
      throw new DmError(
        E.STATE,
        'an SP starts normally (dpc_mode=SP, no MOUNT); only RAFT replicas of BP and MP groups start in MOUNT',
        '003 7.1.6, 7.2.8',
      );
    let cat: DpcCatalog | undefined;
    if (this.role === 'MP') cat = s.dpc.catalog ?? emptyCatalog();
    else {
      const found = await this.lookupMp();
      if (!found)
        throw new DmError(
          E.CONNECT,
          `no MP answers at ${this.mp.map((e) => `${e.host}:${e.port}`).join(', ')} (mp.ini)${this.mp.length > 1 ? ' as the OPEN leader of the MP RAFT group' : ''}; the MP is started first and stays up`,
          '003 7.1.3, 7.1.4',
        );
      cat = found;
      this.checkRegistered(found);
    }
    await this.checkRaft(cat, s);
  }

  /** SP/BP: registered on the MP with this name, role and ports (003:L121 "必须在 SP、BP 第一次启动前完成"). */
  checkRegistered(cat: DpcCatalog): void {
    const ini = this.host.ini;
    const me = cat.insts.find((i) => up(i.name) === up(this.name));
    const where = '003 7.1.4 注意 (003:L121)';
    if (!me)
      throw new DmError(
        E.STATE,
        `${this.name} is not registered on the MP; register it (SP_CREATE_DPC_INSTANCE) before its first start`,
        where,
      );
    if (me.mode !== this.role)
      throw new DmError(
        E.STATE,
        `${this.name} is registered as a ${me.mode}, but starts as a ${this.role}`,
        where,
      );
    if (me.instPort !== ini.portNum)
      throw new DmError(
        E.STATE,
        `${this.name} is registered with INST_PORT ${me.instPort}, but its PORT_NUM is ${ini.portNum}`,
        where,
      );
    if (me.xmalPort !== ini.apPortNum)
      throw new DmError(
        E.STATE,
        `${this.name} is registered with XMAL_PORT ${me.xmalPort}, but its AP_PORT_NUM is ${ini.apPortNum}`,
        where,
      );
    const addrs = this.host.listenAddrs();
    if (!addrs.some((x) => x === '0.0.0.0' || x === '::') && !addrs.includes(me.ipInternal))
      throw new DmError(
        E.STATE,
        `${this.name} is registered with IP_INTERNAL ${me.ipInternal}, which is not an address of this host (${addrs.join(', ')})`,
        where,
      );
  }

  /** The members of this instance's RAFT group in the catalogue (registration order). */
  groupOf(cat: DpcCatalog): { raftId: number; group: string; members: Member[] } | undefined {
    const me = cat.insts.find((i) => up(i.name) === up(this.name));
    if (!me) return undefined;
    const r = cat.rafts.find((x) => x.id === me.raftId);
    return {
      raftId: me.raftId,
      group: r?.name ?? String(me.raftId),
      members: cat.insts
        .filter((i) => i.raftId === me.raftId)
        .map((i) => ({ name: i.name, ip: i.ipInternal, xmalPort: i.xmalPort })),
    };
  }

  /** 003 7.2.7, 7.3.6: what a RAFT replica needs before its MOUNT start. */
  async checkRaft(cat: DpcCatalog, s: DbState): Promise<void> {
    if (this.role === 'SP') return;
    const ini = this.host.ini;
    let globals = new Map<string, string>();
    let raftArchs: Archive[] = [];
    if (ini.archIni) {
      const a = loadArchIniFull(ini);
      globals = a.globals;
      raftArchs = a.archives.filter((x) => x.type === 'RAFT');
    }
    const g = this.groupOf(cat);
    const multi = !!g && g.members.length > 1;
    if (!this.mount) {
      if (raftArchs.length)
        throw new DmError(
          E.STATE,
          `dmarch.ini has RAFT archives: a RAFT replica starts with dpc_mode=${this.role} MOUNT and the group elects its leader (the bootstrap start uses a LOCAL-only dmarch.ini)`,
          '003 7.2.6, 7.2.8, 7.3.7',
        );
      return;
    }
    if (!multi || !g) {
      if (raftArchs.length)
        throw new DmError(
          E.CONFIG,
          `dmarch.ini has RAFT archives but ${this.name}'s RAFT group ${g?.group ?? '(unregistered)'} has no other registered member`,
          '003 7.2.7.3',
        );
      return; // a plain MOUNT start: the instance stays in MOUNT
    }
    const where = '003 7.2.7.2, 7.3.6.3';
    if (!ini.archIni)
      throw new DmError(
        E.CONFIG,
        `a RAFT replica needs ARCH_INI = 1 in dm.ini before its MOUNT start`,
        where,
      );
    if (Number(this.host.params.get('ALTER_MODE_STATUS') ?? 1) !== 0)
      throw new DmError(
        E.CONFIG,
        `a RAFT replica needs ALTER_MODE_STATUS = 0 in dm.ini before its MOUNT start (the group, not SQL, sets the mode)`,
        where,
      );
    const ids = '003 7.2.7.3 (003:L476-549)';
    const need = (k: string): number => {
      const v = globals.get(k);
      if (v === undefined || !/^\d+$/.test(v) || Number(v) < 1)
        throw new DmError(
          E.CONFIG,
          `dmarch.ini: ${k} (a positive integer) is required for a RAFT replica`,
          ids,
        );
      return Number(v);
    };
    const selfId = need('RAFT_SELF_ID');
    const voteInterval = need('RAFT_VOTE_INTERVAL');
    const destIds = new Map<string, number>();
    const names = g.members.map((m) => up(m.name));
    for (const a of raftArchs) {
      const d = up(a.dest);
      if (d === up(this.name) || !names.includes(d))
        throw new DmError(
          E.CONFIG,
          `dmarch.ini [${a.section}] ARCH_DEST = ${a.dest} is not another member of RAFT group ${g.group} (${g.members.map((m) => m.name).join(', ')})`,
          ids,
        );
      if (destIds.has(d)) throw new DmError(E.CONFIG, `dmarch.ini: two RAFT archives to ${a.dest}`, ids);
      const id = a.destId ?? 0;
      if (id === selfId)
        throw new DmError(
          E.CONFIG,
          `dmarch.ini [${a.section}] ARCH_DEST_ID ${id} equals this replica's RAFT_SELF_ID: self ids collide`,
          ids,
        );
      if ([...destIds.values()].includes(id))
        throw new DmError(
          E.CONFIG,
          `dmarch.ini: ARCH_DEST_ID ${id} is given to two peers: self ids collide`,
          ids,
        );
      destIds.set(d, id);
    }
    const missing = g.members.filter((m) => up(m.name) !== up(this.name) && !destIds.has(up(m.name)));
    if (missing.length)
      throw new DmError(
        E.CONFIG,
        `dmarch.ini has no RAFT archive to ${missing.map((m) => m.name).join(', ')}, member(s) of RAFT group ${g.group}`,
        ids,
      );
    if (!ini.archIni || !this.host.archives.some((a) => a.type === 'LOCAL'))
      throw new DmError(E.CONFIG, 'a RAFT replica needs its [ARCHIVE_LOCAL1] LOCAL archive', ids);
    this.raft = { group: g.group, raftId: g.raftId, members: g.members, selfId, voteInterval, destIds };
    // peers that run already: their self ids must be what this dmarch.ini says, and not ours
    for (const m of g.members) {
      if (up(m.name) === up(this.name)) continue;
      const p = await this.probe(m);
      if (!p?.raft) continue;
      const mine = destIds.get(up(m.name));
      if (p.raft.selfId !== mine)
        throw new DmError(
          E.CONFIG,
          `dmarch.ini gives ${m.name} ARCH_DEST_ID ${mine}, but ${m.name} runs with RAFT_SELF_ID ${p.raft.selfId}`,
          ids,
        );
      const theirs = p.raft.destIds[up(this.name)];
      if (theirs !== undefined && theirs !== selfId)
        throw new DmError(
          E.CONFIG,
          `RAFT_SELF_ID ${selfId}, but ${m.name}'s dmarch.ini gives ${this.name} ARCH_DEST_ID ${theirs}`,
          ids,
        );
    }
    void s;
  }

  /** Listen on AP_PORT_NUM (XMAL) and, on an MP, on its mp_port. */
  async listen(): Promise<void> {
    const ap = this.host.ini.apPortNum ?? 0;
    for (const a of this.host.listenAddrs())
      this.host.servers.push(await serveJson(a, ap, (m) => this.onMsg(m)));
    if (this.mpSelf)
      this.host.servers.push(await serveJson(this.mpSelf.host, this.mpSelf.port, (m) => this.onMsg(m)));
  }

  /** After the server is up: mark a diverged replica, start the heartbeats and the RAFT loop. */
  started(): void {
    const s = this.host.refresh();
    const g =
      this.role === 'MP'
        ? this.groupOf(s.dpc?.catalog ?? emptyCatalog())
        : this.cat && this.groupOf(this.cat);
    if (!this.mount && s.dpc?.restored && !s.dpc.raftJoined && g && g.members.length > 1) {
      updateState(this.host.ini.ctlPath, (x) => {
        if (x.dpc) x.dpc.diverged = true;
      });
      logAction('dpc-diverged', {
        instance: this.name,
        raft: g.group,
        reason:
          'a restored RAFT replica was started without MOUNT before its RAFT start: it writes its own logs, and its group will not take it (003:L778)',
      });
    }
    logAction('dpc-start', {
      instance: this.name,
      dpcMode: this.role,
      mount: this.mount,
      status: this.host.status,
      ...(this.raft ? { raft: this.raft.group, selfId: this.raft.selfId } : {}),
    });
    const t = setInterval(() => {
      if (this.busy || this.host.shuttingDown) return;
      this.busy = true;
      void this.tick().finally(() => (this.busy = false));
    }, tick());
    this.host.timers.push(t);
    process.on('SIGUSR1', () => void this.exitAll('SIGUSR1'));
  }

  // ------------------------------------------------------------ MP lookups and heartbeats

  isMpLeader(): boolean {
    if (this.role !== 'MP' || this.host.status !== 'OPEN') return false;
    if (this.host.refresh().dpc?.diverged) return false;
    return this.raft ? this.raftRole === 'leader' : true;
  }

  /** SP/BP: the MP (the leader of an MP RAFT group) through mp.ini; its catalogue, or undefined. */
  async lookupMp(): Promise<DpcCatalog | undefined> {
    for (const e of this.mp) {
      const r = await requestOnce(e.host, e.port, { op: 'dpc-lookup', from: this.name }, probeMs()).catch(
        () => undefined,
      );
      if (r?.ok && r.leader) {
        this.cat = r.catalog as DpcCatalog;
        this.lastMpOk = Date.now();
        return this.cat;
      }
    }
    return undefined;
  }

  async tick(): Promise<void> {
    if (this.role !== 'MP') {
      const ok = await this.lookupMp();
      if (!ok && Date.now() - this.lastMpOk > graceMs()) {
        await this.host.halt(
          `the MP (${this.mp.map((e) => `${e.host}:${e.port}`).join(', ')}) is gone while this ${this.role} runs: exit SP, then BP, then MP (003 7.1.8)`,
        );
        return;
      }
    }
    if (this.raft) await this.raftTick();
    if (this.role === 'SP') await this.watchBpGroups();
  }

  async probe(m: Member): Promise<Probe | undefined> {
    const r = await requestOnce(m.ip, m.xmalPort, { op: 'dpc-probe', from: this.name }, probeMs()).catch(
      () => undefined,
    );
    return r?.ok ? (r as unknown as Probe) : undefined;
  }

  /** The catalogue this node reads: its own (MP) or the MP's (SP/BP). */
  catalog(): DpcCatalog {
    if (this.role === 'MP') return this.host.refresh().dpc?.catalog ?? emptyCatalog();
    return this.cat ?? emptyCatalog();
  }

  /** SP: the state of each BP RAFT group: usable (queries work) and valid members (HALT if none). */
  async bpGroups(): Promise<{ group: string; usable: boolean; valid: number; why: string }[]> {
    const cat = this.catalog();
    const out: { group: string; usable: boolean; valid: number; why: string }[] = [];
    for (const r of cat.rafts.filter((x) => x.mode === 'BP')) {
      const members = cat.insts.filter((i) => i.raftId === r.id);
      const probes = await Promise.all(
        members.map((i) => this.probe({ name: i.name, ip: i.ipInternal, xmalPort: i.xmalPort })),
      );
      let usable = false;
      let valid = 0;
      for (const p of probes) {
        if (!p || p.status !== 'OPEN') continue;
        if (members.length === 1) {
          usable = true;
          valid++;
        } else if (p.raft?.joined && p.raft.state !== 'candidate') {
          valid++;
          if (p.raft.state === 'leader' && p.mode === 'PRIMARY') usable = true;
        }
      }
      const why = !members.length
        ? 'no BP is registered in it'
        : members.length === 1
          ? `BP ${members[0]?.name} is not started, not OPEN or down`
          : 'no PRIMARY/OPEN leader has been elected';
      out.push({ group: r.name, usable, valid, why });
    }
    return out;
  }

  async watchBpGroups(): Promise<void> {
    const now = Date.now();
    for (const g of await this.bpGroups()) {
      if (g.valid > 0) this.bpValidSeen.set(g.group, now);
      else {
        const seen = this.bpValidSeen.get(g.group);
        if (seen !== undefined && now - seen > graceMs()) {
          await this.host.halt(
            `BP RAFT group ${g.group} lost its last valid member while this SP runs: exit SP, then BP, then MP (003 7.1.8, 7.2.10)`,
          );
          return;
        }
      }
    }
  }

  /** SP: any query but a V$ view fails while a BP RAFT group has no usable BP (003:L189-192, L580-586). */
  async assertUsable(): Promise<void> {
    for (const g of await this.bpGroups())
      if (!g.usable)
        throw new DmError(
          E.STATE,
          `无效的系统状态: BP RAFT group ${g.group} has no usable BP (${g.why})`,
          '003 7.1.6 注意, 7.2.8 注意',
        );
  }

  /** SP: V$INSTANCE lists every registered instance that answers, with its live status (003:L200). */
  async spInstanceRows(self: Cell[], columns: string[]): Promise<Cell[][]> {
    const cat = this.catalog();
    const iName = columns.indexOf('INSTANCE_NAME');
    const iStatus = columns.indexOf('STATUS$');
    const iMode = columns.indexOf('MODE$');
    const iHost = columns.indexOf('HOST_NAME');
    const rows: Cell[][] = [];
    const probes = await Promise.all(
      cat.insts.map(async (i) =>
        up(i.name) === up(this.name)
          ? undefined
          : this.probe({ name: i.name, ip: i.ipInternal, xmalPort: i.xmalPort }),
      ),
    );
    cat.insts.forEach((i, n) => {
      if (up(i.name) === up(this.name)) {
        rows.push(self);
        return;
      }
      const p = probes[n];
      if (!p) return; // not running: not listed (003:L200 "看是否所有 RAFT 组中实例都能够查到")
      const row = [...self];
      row[iName] = i.name;
      row[iStatus] = p.status;
      row[iMode] = p.mode;
      if (iHost >= 0) row[iHost] = i.ipInternal;
      rows.push(row);
    });
    if (!rows.some((r) => r === self)) rows.unshift(self);
    return rows;
  }

  // ------------------------------------------------------------ SQL (MP)

  proc(name: DpcProc, args: (string | number | null)[]): { kind: string } {
    if (this.role !== 'MP')
      throw new DmError(
        E.STATE,
        `${name} refused: ${this.name} is a ${this.role}; DMDPC registration is done logged in to the MP`,
        '003 7.1.4 (003:L81)',
      );
    if (!this.isMpLeader())
      throw new DmError(
        E.STATE,
        `${name} refused: ${this.name} is not the OPEN MP${this.raft ? ' leader of its MP RAFT group' : ''}`,
        '003 7.1.4, 7.3.4',
      );
    let detail: Record<string, unknown> = {};
    updateState(this.host.ini.ctlPath, (s) => {
      if (!s.dpc) return;
      const cat = s.dpc.catalog ?? emptyCatalog();
      detail = applyProc(cat, this.name, name, args);
      cat.version++;
      s.dpc.catalog = cat;
    });
    logAction('dpc-register', { mp: this.name, ...detail });
    return { kind: 'proc' };
  }

  table(name: string): View | undefined {
    if (!DPC_TABLES.includes(name)) return undefined;
    if (this.role !== 'MP')
      throw new DmError(
        E.NO_TABLE,
        `无效的表或视图名[${name}]: the DPC_* tables are read on the MP`,
        '003 7.1.5',
      );
    return catalogTable(this.catalog(), name);
  }

  // ------------------------------------------------------------ protocol (AP port and mp_port)

  probeReply(): Msg {
    const s = this.host.refresh();
    const r: Msg = {
      ok: true,
      instance: this.name,
      role: this.role,
      status: this.host.status,
      mode: s.mode,
      permanentMagic: s.permanentMagic,
      dbMagic: s.dbMagic,
      diverged: !!s.dpc?.diverged,
      shadow: !!s.dpc?.shadow,
      raft: this.raft
        ? ({
            group: this.raft.group,
            selfId: this.raft.selfId,
            voteInterval: this.raft.voteInterval,
            state: this.raftRole,
            joined: this.raftRole !== 'candidate',
            leader: this.leader,
            destIds: Object.fromEntries(this.raft.destIds),
          } satisfies RaftInfo)
        : null,
    };
    if (this.role === 'MP' && s.dpc?.catalog) r.catalog = s.dpc.catalog;
    return r;
  }

  async onMsg(m: Msg): Promise<Msg> {
    switch (m.op) {
      case 'dpc-probe':
        return this.probeReply();
      case 'dpc-lookup':
        return { ok: true, leader: this.isMpLeader(), instance: this.name, catalog: this.catalog() };
      case 'raft-update': {
        if (!this.isMpLeader()) return { ok: false, error: 'not the MP leader' };
        this.applyRaftUpdate(m.rows as { name: string; sysMode: string; status: number }[]);
        return { ok: true };
      }
      case 'raft-exit':
        if (this.raftRole === 'follower' && this.leader && up(this.leader) === up(String(m.leader ?? ''))) {
          logAction('exit-all', { instance: this.name, by: this.leader, raft: this.raft?.group });
          setTimeout(() => void this.host.shutdown(`exit all (coordinated by leader ${this.leader})`), 10);
          return { ok: true, exiting: true };
        }
        return { ok: true, exiting: false };
      case 'raft-exit-all':
        setTimeout(() => void this.exitAll(`forwarded by ${String(m.from ?? '?')}`), 0);
        return { ok: true };
      default:
        return { ok: false, error: `unknown op ${String(m.op)}` };
    }
  }

  applyRaftUpdate(rows: { name: string; sysMode: string; status: number }[]): void {
    let changed = false;
    updateState(this.host.ini.ctlPath, (s) => {
      const cat = s.dpc?.catalog;
      if (!cat) return;
      for (const r of rows) {
        const i = cat.insts.find((x) => up(x.name) === up(r.name));
        if (i && (i.sysMode !== r.sysMode || i.status !== r.status)) {
          i.sysMode = r.sysMode;
          i.status = r.status;
          changed = true;
        }
      }
      if (changed) cat.version++;
    });
    if (changed) logAction('dpc-catalog-update', { instance: this.name, rows });
  }

  // ------------------------------------------------------------ RAFT

  /** Why a running peer cannot be in a group with this replica, if it cannot. */
  incompatible(s: DbState, m: Member, p: Probe): string | undefined {
    if (p.permanentMagic !== s.permanentMagic)
      return `PERMANENT_MAGIC of ${m.name} differs: each RAFT group restores its own bootstrap's backup set (003:L414)`;
    if (p.dbMagic === s.dbMagic)
      return `${m.name} has this replica's DB_MAGIC: RECOVER DATABASE ... UPDATE DB_MAGIC was forgotten (003:L435)`;
    if (p.diverged)
      return `${m.name} was started without MOUNT after its restore and its logs diverge (003:L778)`;
    const want = this.raft?.destIds.get(up(m.name));
    if (p.raft && p.raft.selfId !== want)
      return `${m.name} runs with RAFT_SELF_ID ${p.raft.selfId}, dmarch.ini says ARCH_DEST_ID ${want} (003 7.2.7.3)`;
    return undefined;
  }

  logRefusedOnce(key: string, fields: Record<string, unknown>): void {
    if (this.refusedLogged.has(key)) return;
    this.refusedLogged.add(key);
    logAction('raft-refused', { instance: this.name, raft: this.raft?.group, ...fields });
  }

  async raftTick(): Promise<void> {
    const raft = this.raft;
    if (!raft) return;
    const s = this.host.refresh();
    // an MP replica reads its peers from its own catalogue, which follows the leader's
    const others = raft.members.filter((m) => up(m.name) !== up(this.name));
    const probes = await Promise.all(others.map(async (m) => ({ m, p: await this.probe(m) })));
    if (this.host.shuttingDown) return;
    for (const { m, p } of probes) this.peers.set(up(m.name), p);
    const live = probes.filter((x): x is { m: Member; p: Probe } => !!x.p?.raft && x.p.status !== 'SHUTDOWN');
    const selfWhy = s.dpc?.diverged
      ? 'this replica was started without MOUNT after its restore: its logs diverge (003:L778)'
      : live.some((x) => x.p.dbMagic === s.dbMagic)
        ? `a peer has this replica's DB_MAGIC: RECOVER DATABASE ... UPDATE DB_MAGIC was forgotten (003:L435)`
        : undefined;
    if (selfWhy) {
      this.logRefusedOnce('self', { peer: this.name, reason: selfWhy });
      return;
    }
    const ok: { m: Member; p: Probe }[] = [];
    for (const x of live) {
      const why = this.incompatible(s, x.m, x.p);
      if (why) this.logRefusedOnce(`peer:${x.m.name}:${why}`, { peer: x.m.name, reason: why });
      else ok.push(x);
    }
    const majority = Math.floor(raft.members.length / 2) + 1;
    if (this.raftRole === 'leader') {
      await this.publish(ok);
      return;
    }
    const leader = ok.find((x) => x.p.raft?.state === 'leader');
    if (leader) {
      if (this.raftRole !== 'follower' || this.leader !== leader.m.name)
        this.become('follower', leader.m.name);
      if (this.role === 'MP' && leader.p.catalog) this.followCatalog(leader.p.catalog);
      return;
    }
    if (this.raftRole === 'follower') {
      logAction('raft-leader-lost', { instance: this.name, raft: raft.group, leader: this.leader });
      this.raftRole = 'candidate';
      this.leader = null;
    }
    if (ok.length + 1 < majority) return;
    // 003:L478 "三个库设置不同以尽快选出主库": the up replica with the lowest RAFT_VOTE_INTERVAL
    // times out first and wins; a shadow never becomes the leader (7.5, [EXT])
    const cands = [
      { name: this.name, vote: raft.voteInterval, id: raft.selfId, shadow: !!s.dpc?.shadow },
      ...ok.map((x) => ({
        name: x.m.name,
        vote: x.p.raft?.voteInterval ?? 0,
        id: x.p.raft?.selfId ?? 0,
        shadow: x.p.shadow,
      })),
    ]
      .filter((c) => !c.shadow)
      .sort((a, b) => a.vote - b.vote || a.id - b.id);
    if (cands[0]?.name === this.name) {
      this.become('leader', this.name);
      logAction('raft-elected', {
        instance: this.name,
        raft: raft.group,
        leader: this.name,
        voters: [this.name, ...ok.map((x) => x.m.name)],
      });
      await this.publish(ok);
    }
  }

  become(role: 'leader' | 'follower', leader: string): void {
    this.raftRole = role;
    this.leader = leader;
    updateState(this.host.ini.ctlPath, (x) => {
      x.mode = role === 'leader' ? 'PRIMARY' : 'STANDBY';
      if (x.dpc) {
        x.dpc.raftJoined = true;
        delete x.dpc.restored;
      }
    });
    const wasOpen = this.host.status === 'OPEN';
    this.host.status = 'OPEN';
    this.host.writeRuntime();
    if (!wasOpen) this.host.opened(`RAFT ${role}`);
    if (role === 'follower')
      logAction('raft-follow', { instance: this.name, raft: this.raft?.group, leader, mode: 'STANDBY' });
  }

  followCatalog(cat: DpcCatalog): void {
    const mine = this.host.refresh().dpc?.catalog;
    if (mine && mine.version >= cat.version && JSON.stringify(mine) === JSON.stringify(cat)) return;
    updateState(this.host.ini.ctlPath, (x) => {
      if (x.dpc) x.dpc.catalog = cat;
    });
  }

  /** The leader reports the group's modes to the MP's DPC_INSTANCE (003:L303). */
  async publish(ok: { m: Member; p: Probe }[]): Promise<void> {
    const raft = this.raft;
    if (!raft) return;
    const rows = raft.members.map((m) => {
      if (up(m.name) === up(this.name)) return { name: m.name, sysMode: 'PRIMARY', status: 1 };
      const f = ok.find((x) => up(x.m.name) === up(m.name) && x.p.raft?.leader === this.name);
      return { name: m.name, sysMode: 'STANDBY', status: f ? 1 : 0 };
    });
    const key = JSON.stringify(rows);
    if (key === this.lastUpdate) return;
    if (this.role === 'MP') {
      this.applyRaftUpdate(rows);
      this.lastUpdate = key;
      return;
    }
    for (const e of this.mp) {
      const r = await requestOnce(e.host, e.port, { op: 'raft-update', rows }, probeMs()).catch(
        () => undefined,
      );
      if (r?.ok) {
        this.lastUpdate = key;
        return;
      }
    }
  }

  /** RAFT archive status (V$ARCH_STATUS): VALID from the leader to a follower of it. */
  raftArchiveValid(a: Archive): boolean {
    if (this.raftRole !== 'leader') return false;
    const p = this.peers.get(up(a.dest));
    return !!p?.raft && p.raft.leader === this.name;
  }

  /**
   * `exit all` on the console or SIGUSR1 (003 7.2.10): on a valid replica the leader stops every
   * valid member and then itself, normally; an invalid replica exits alone, with a HALT (003:L602).
   */
  async exitAll(from: string): Promise<void> {
    if (this.host.shuttingDown) return;
    logAction('exit-all', { instance: this.name, from, raft: this.raft?.group, state: this.raftRole });
    if (!this.raft) {
      await this.host.shutdown(`exit all (${from}) of a single replica`);
      return;
    }
    if (this.raftRole === 'leader') {
      const followers = [...this.peers.entries()].filter(([, p]) => p?.raft?.leader === this.name);
      for (const [name] of followers) {
        const m = this.raft.members.find((x) => up(x.name) === name);
        if (m)
          await requestOnce(m.ip, m.xmalPort, { op: 'raft-exit', leader: this.name }, probeMs()).catch(
            () => undefined,
          );
      }
      await this.host.shutdown(
        `exit all (${from}): the leader stopped the group's valid members, then itself`,
      );
      return;
    }
    if (this.raftRole === 'follower' && this.leader) {
      const m = this.raft.members.find((x) => up(x.name) === up(this.leader ?? ''));
      const r = m
        ? await requestOnce(m.ip, m.xmalPort, { op: 'raft-exit-all', from: this.name }, probeMs()).catch(
            () => undefined,
          )
        : undefined;
      if (r?.ok) return;
    }
    await this.host.halt(
      `exit all (${from}) on an invalid RAFT node: it exits alone and cannot advance C_LSN (003 7.2.10, 003:L602)`,
    );
  }
}
