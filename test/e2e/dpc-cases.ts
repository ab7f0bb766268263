/**
 * The DMDPC topologies of 003 chapter 7 on lab hosts, through the synthesized stack and real
 * Terraform: the example's names and ports, its instances spread over the lab's hosts. An apply
 * killed after step k resumes, with an MP RAFT group also from a lost state part-way (each node
 * initialised once, each replica restored once); the
 * registration runs in the seed's order; status shows every node OPEN and one leader per RAFT
 * group; a second apply does nothing; destroy stops the SPs, then the BPs, then the MPs, none
 * halted; the password is nowhere. Each *.test.ts file runs one topology in its own lab.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueDiff, parseCatalogue } from '../../lib/families/dpc/catalogue';
import { dpcCatalogue } from '../../lib/families/dpc/plan';
import { isDpcModel } from '../../lib/families';
import type { ClusterSpec } from '../../lib/spec/schema';
import { planCluster, type Plan } from '../../lib/plan';
import { validateSpec } from '../../lib/validate';
import { installOnHosts, killOurProcesses } from '../dmsim/lab-harness';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { terraformForTests } from '../tf/availability';
import { TfCrash, type TfRunner } from '../tf';
import { mutatingCommands, perInstance, readLogs } from './dmsim-log';
import { dmdeployStatus, filesNotAsRendered, placesHoldingPassword, resynth, synthStack } from './stack';
import type { Lab } from '../lab/lab';

export interface DpcTopology {
  /** Lab name (lower-case letters and digits). */
  id: string;
  title: string;
  example: string;
  hosts: string[];
  /** Instance -> lab host (the manual puts every instance on one machine). */
  place: Record<string, string>;
  /**
   * Deploy it again after destroy (data kept) and check it comes back as it was. A whole second
   * deploy: proven on the RAFT topologies with the most groups (7.2 and the mixed one) only, to
   * keep the suite's run within its time.
   */
  redeploy?: boolean;
}

function dpcSpec(t: DpcTopology, lab: Lab): ClusterSpec {
  const s = parse(readFileSync(path.join(__dirname, '../../examples', t.example), 'utf8')) as Record<
    string,
    unknown
  > & {
    mp: { replicas: { name: string; host: string }[] };
    bp: { replicas: { name: string; host: string }[] }[];
    sp: { name: string; host: string }[];
  };
  const hosts: Record<string, unknown> = {};
  for (const h of t.hosts) {
    const x = lab.host(h);
    hosts[h] = { address: x.public, public: x.public, private: x.private };
  }
  for (const n of [...s.mp.replicas, ...s.bp.flatMap((g) => g.replicas), ...s.sp])
    n.host = t.place[n.name] ?? n.host;
  return {
    ...s,
    hosts,
    ssh: {
      user: lab.descriptor.user,
      privateKeyPath: lab.descriptor.privateKeyPath,
      knownHostsPath: lab.descriptor.knownHostsPath,
    },
  } as unknown as ClusterSpec;
}

export function describeDpc(t: DpcTopology): void {
  const avail = labAvailabilityForTests();
  const terraform = terraformForTests();
  const HOSTS = t.hosts;
  // skipped only where no lab or no terraform can run, with the printed reason (SKIPPING ...); CI sets DMLAB_REQUIRED=1, which fails the run instead
  describe.skipIf(!avail.ok || !terraform.ok)(t.title, () => {
    const lab = useLab({ name: t.id, hosts: HOSTS }, 90_000);
    let dir = '';
    let specFile = '';
    let tf: TfRunner;
    let output: string[] = [];
    let address: (id: string) => string = (id) => id;
    let specPath = '';
    let plan: Plan;
    let spec: ClusterSpec;
    const log = () => readLogs(lab(), HOSTS);

    beforeAll(() => {
      const l = lab();
      installOnHosts(l, HOSTS);
      spec = dpcSpec(t, l);
      const v = validateSpec(spec);
      if (!v.model) throw new Error(`spec invalid: ${JSON.stringify(v.findings)}`);
      plan = planCluster(v.model);
      ({ dir, specFile, tf, output, address } = synthStack(t.id, spec, plan.cluster));
      specPath = specFile;
    }, 60_000);

    afterAll(async () => {
      await killOurProcesses(lab(), HOSTS).catch(() => undefined);
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('an apply killed after step k resumes and finishes; each node is initialised once, each replica restored once', async () => {
      // after a dminit, after the registration, after the first MOUNT start (or the last start)
      const at = (pred: (id: string) => boolean) => plan.steps.findIndex((s) => pred(s.id)) + 1;
      const ks = [
        2,
        at((id) => id === 'cluster/register'),
        at((id) => /\/mount$/.test(id)) || plan.steps.length - 2,
      ];
      let done = 0;
      for (const k of ks) {
        const err = await tf.apply({ crashAfter: k - done, parallelism: 1 }).catch((e: unknown) => e);
        expect(err, `crash after ${k}`).toBeInstanceOf(TfCrash);
        done = k;
      }
      const failed = (e: unknown) => {
        throw new Error(`${String(e)}\n${output.slice(-40).join('\n')}`);
      };
      // terraform killed while it writes its state loses the file: an MP RAFT group then stands
      // part-formed (MP1 stopped for its backup, or in MOUNT) while every step runs from the start
      if (plan.steps.some((s) => s.params.kind === 'dpc-start' && s.params.formation)) {
        const lost = path.join(dir, 'lost.tfstate.json');
        const all = await tf.apply({ statePath: lost }).catch(failed);
        expect(all.created).toEqual(expect.arrayContaining(plan.steps.map((s) => address(s.id))));
        rmSync(lost, { force: true });
      }
      await tf.apply().catch(failed);
      const inits = perInstance(log(), 'dminit');
      const dminits = plan.steps.filter((s) => s.params.kind === 'dminit').length;
      expect(inits.size).toBe(dminits);
      expect([...inits.values()].every((n) => n === 1)).toBe(true);
      const restores = perInstance(log(), 'restore');
      expect(restores.size).toBe(plan.steps.filter((s) => s.params.kind === 'restore').length);
      expect([...restores.values()].every((n) => n === 1)).toBe(true);
      expect(log().filter((r) => r.event === 'halt')).toEqual([]);
    }, 600_000);

    it('registered in the seed order: the MP first, each RAFT group before its instances, a BP group before its ADD_RAFT', () => {
      const v = validateSpec(spec);
      if (!v.model || !isDpcModel(v.model)) throw new Error('not a DpcCluster');
      const want = catalogueDiff(dpcCatalogue(v.model), parseCatalogue('', '', '')).statements;
      const calls = log()
        .filter((r) => r.event === 'exec' && r.ok === true && /^SP_/.test(String(r.stmt)))
        .map((r) => String(r.stmt).replace(/\s+/g, ' '));
      expect(calls.map((c) => c.replace(/\(.*$/, ''))).toEqual(want.map((c) => c.replace(/\(.*$/, '')));
      expect(calls[0]).toMatch(/^SP_CREATE_DPC_INSTANCE\(NULL, 'MP/);
      // every SP and BP starts in any way only after the registration (003 7.1.4's note)
      const regAt = Math.max(
        ...log().map((r, n) => (r.event === 'exec' && /^SP_/.test(String(r.stmt)) ? n : -1)),
      );
      const starts = log()
        .map((r, n) => [r, n] as const)
        .filter(([r]) => r.tool === 'dmserver' && r.event === 'start' && r.dpcMode !== 'MP');
      expect(starts.length).toBeGreaterThan(0);
      for (const [r, n] of starts) expect(n, String(r.ini)).toBeGreaterThan(regAt);
    });

    it('RAFT groups as 7.2-7.5 build them: one bootstrap start each, replicas restored (as shadows for a shadow) and started only in MOUNT, no divergence', () => {
      const l = log();
      const v = validateSpec(spec);
      if (!v.model || !isDpcModel(v.model)) throw new Error('not a DpcCluster');
      const shadows = v.model.bpRafts.flatMap((r) => r.members.filter((m) => m.shadow).map((m) => m.name));
      const starts = (i: string) =>
        l
          .filter((r) => r.event === 'dpc-start' && String(r.instance) === i)
          .map((r) => (r.mount ? 'MOUNT' : 'normal'));
      const groups = plan.steps.filter((x) => x.params.kind === 'raft-leader');
      for (const g of groups) {
        if (g.params.kind !== 'raft-leader') continue;
        const { raft, members } = g.params;
        const [first, ...rest] = members;
        // the backup's source: its one normal start is the bootstrap; a formed group never sees another
        expect(
          starts(first?.instance ?? '').filter((x) => x === 'normal'),
          first?.instance,
        ).toHaveLength(1);
        for (const m of rest) {
          expect(starts(m.instance).length, m.instance).toBeGreaterThan(0);
          expect(
            starts(m.instance).every((x) => x === 'MOUNT'),
            m.instance,
          ).toBe(true);
          const restore = l.filter((r) => r.event === 'restore' && String(r.ini) === m.iniPath);
          // either 7.5.1 method: TO SHADOW, or a plain restore of a FULL SHADOW set
          const shadow = shadows.includes(m.instance);
          expect(
            restore.map((r) => r.shadow === true),
            m.instance,
          ).toEqual([shadow]);
        }
        expect(l.filter((r) => r.event === 'raft-elected' && r.raft === raft).length, raft).toBeGreaterThan(
          0,
        );
      }
      expect(l.filter((r) => r.event === 'dpc-diverged' || r.event === 'raft-refused')).toEqual([]);
      // a shadow never leads (003 7.5, [EXT])
      for (const e of l.filter((r) => r.event === 'raft-elected'))
        expect(shadows).not.toContain(String(e.leader));
    });

    it('status: every node OPEN, one PRIMARY per RAFT group, the SP lists every instance; every file as rendered', async () => {
      const s = await dmdeployStatus(specFile);
      expect(s.problems).toEqual([]);
      expect(s.healthy).toBe(true);
      const nodes = s.groups.flatMap((g) => g.databases);
      expect(nodes.map((d) => d.instance).sort()).toEqual(
        plan.steps
          .filter((x) => x.params.kind === 'dminit')
          .map((x) => x.id.split('/')[0])
          .sort(),
      );
      expect(nodes.every((d) => d.status === 'OPEN')).toBe(true);
      for (const g of s.groups.filter((x) => x.databases.length > 1)) {
        expect(g.databases.filter((d) => d.mode === 'PRIMARY').length, g.name).toBe(1);
        expect(g.databases.filter((d) => d.mode === 'STANDBY').length, g.name).toBe(g.databases.length - 1);
      }
      expect(await filesNotAsRendered(lab(), spec)).toEqual([]);
    }, 120_000);

    it('a second apply changes nothing on the hosts', async () => {
      const p = await tf.plan();
      expect([p.create, p.replace, p.destroy]).toEqual([[], [], []]);
      const before = mutatingCommands(log()).length;
      await tf.apply();
      expect(
        mutatingCommands(log())
          .slice(before)
          .map((r) => `${r.host} ${String(r.tool)} ${String(r.event)}`),
      ).toEqual([]);
    }, 300_000);

    it('a changed shape of the registered system is refused before any host is touched', async () => {
      // the last member of the last group moved to another port: its registration says otherwise
      const changed = structuredClone(spec) as unknown as { sp: Record<string, unknown>[] };
      const sp = changed.sp[0] ?? {};
      sp.port = Number(sp.port ?? 5236) + 1000;
      resynth(dir, specPath, changed);
      const before = mutatingCommands(log()).length;
      const err = await tf.apply().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(output.join('\n')).toMatch(
        /differs from the DMDPC system registered on the MP; nothing was touched/,
      );
      expect(mutatingCommands(log()).slice(before)).toEqual([]);
      // put back, it applies as before
      resynth(dir, specPath, spec);
      await tf.apply();
      expect(mutatingCommands(log()).slice(before)).toEqual([]);
    }, 300_000);

    it('destroy stops the SPs, then the BPs, then the MPs, each normally; the password is nowhere', async () => {
      const from = Date.now();
      await tf.destroy();
      const since = log().filter((r) => Date.parse(String(r.t)) >= from && r.tool === 'dmserver');
      expect(since.filter((r) => r.event === 'halt')).toEqual([]);
      const stops = since.filter((r) => r.event === 'shutdown');
      const roleOf = (i: string) =>
        plan.steps.find((x) => x.id === `${i}/dminit` && x.params.kind === 'dminit')?.params;
      const roles = stops.map((r) => {
        const p = roleOf(String(r.instance));
        return p?.kind === 'dminit' ? (p.dpc?.mode ?? '?') : '?';
      });
      expect(roles.length).toBe(plan.steps.filter((x) => x.params.kind === 'dminit').length);
      const rank = (x: string) => ['SP', 'BP', 'MP'].indexOf(x);
      expect(roles).toEqual([...roles].sort((a, b) => rank(a) - rank(b)));
      expect(stops.every((r) => r.normal === true)).toBe(true);
      for (const h of HOSTS) expect(lab().findProcesses(h, /dmsim\.cjs dmserver/), h).toEqual([]);
      expect(placesHoldingPassword(lab(), HOSTS, dir, output)).toEqual([]);
    }, 300_000);

    if (t.redeploy)
      it('deployed again after that destroy (data kept), it comes back as it was: no dminit, no restore, one leader per group', async () => {
        const before = log().length;
        await tf.apply();
        const since = log().slice(before);
        expect(
          since.filter((r) => r.event === 'dminit' || r.event === 'restore' || r.event === 'backup'),
        ).toEqual([]);
        expect(
          since
            .filter((r) => r.event === 'dpc-start' && r.mount !== true && /^(BP|MP)/.test(String(r.instance)))
            .map((r) => String(r.instance))
            .filter((i) => plan.steps.some((x) => x.id === `${i}/raft-config`)),
        ).toEqual([]);
        const s = await dmdeployStatus(specFile);
        expect(s.problems).toEqual([]);
        await tf.destroy();
      }, 300_000);
  });
}
