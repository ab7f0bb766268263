/**
 * Properties of the rendered files over random valid topologies of every kind. Each property is
 * checked on the rendered bytes (parsed back), not on the model the renderer read.
 */
import fc from 'fast-check';
import path from 'node:path/posix';
import { describe, expect, it } from 'vitest';
import { validateSpec, hasErrors } from '../../lib/validate';
import { renderCluster, type RenderedFile } from '../../lib/render';
import { parseIni } from '../../lib/render/ini';
import { anySpec } from '../support/arbitrary';

type Parsed = ReturnType<typeof parseIni>;
const RUNS = { numRuns: 150 };

function renderValid(spec: unknown): RenderedFile[] {
  const v = validateSpec(spec);
  fc.pre(v.model !== undefined && !hasErrors(v.findings));
  return renderCluster(v.model!);
}

const get = (entries: [string, string][], key: string) => entries.find(([k]) => k === key)?.[1];
const all = (entries: [string, string][], key: string) =>
  entries.filter(([k]) => k === key).map(([, v]) => v);

/** What the files say about each instance: its host, dm.ini keys, dmarch.ini and dmtimer.ini. */
function byInstance(files: RenderedFile[]) {
  const at = new Map(files.map((f) => [`${f.host}:${f.path}`, f]));
  const inst = new Map<
    string,
    { host: string; dir: string; dmIni: Map<string, string>; arch: Parsed; timer?: Parsed }
  >();
  for (const f of files.filter((x) => x.role === 'dm.ini')) {
    const dmIni = new Map(parseIni(f.content).globals);
    const dir = path.dirname(f.path);
    const arch = at.get(`${f.host}:${dir}/dmarch.ini`);
    const timer = at.get(`${f.host}:${dir}/dmtimer.ini`);
    inst.set(dmIni.get('INSTANCE_NAME')!, {
      host: f.host,
      dir,
      dmIni,
      arch: parseIni(arch!.content),
      timer: timer && parseIni(timer.content),
    });
  }
  return inst;
}

function mal(files: RenderedFile[]) {
  const f = files.find((x) => x.role === 'dmmal.ini')!;
  return parseIni(f.content).sections.map((s) => ({
    name: get(s.entries, 'MAL_INST_NAME')!,
    host: get(s.entries, 'MAL_HOST')!,
    ports: ['MAL_PORT', 'MAL_INST_PORT', 'MAL_DW_PORT', 'MAL_INST_DW_PORT'].map((k) =>
      Number(get(s.entries, k)),
    ),
    dw: `${get(s.entries, 'MAL_HOST')}:${get(s.entries, 'MAL_DW_PORT')}`,
  }));
}

describe('rendered files over random valid topologies', () => {
  it('dmmal.ini is byte-identical on every instance, async and sync standbys included', () => {
    fc.assert(
      fc.property(anySpec, (spec) => {
        const files = renderValid(spec);
        const mals = files.filter((f) => f.role === 'dmmal.ini');
        expect(mals.length).toBe(files.filter((f) => f.role === 'dm.ini').length);
        expect(new Set(mals.map((f) => f.content)).size).toBe(1);
        expect(
          mal(files)
            .map((m) => m.name)
            .sort(),
        ).toEqual([...byInstance(files).keys()].sort());
      }),
      RUNS,
    );
  });

  it('no port is used twice on a host', () => {
    fc.assert(
      fc.property(anySpec, (spec) => {
        const files = renderValid(spec);
        const insts = byInstance(files);
        const used = new Map<string, number[]>();
        for (const m of mal(files)) {
          const host = insts.get(m.name)!.host;
          used.set(host, [...(used.get(host) ?? []), ...m.ports]);
          expect(Number(insts.get(m.name)!.dmIni.get('PORT_NUM'))).toBe(m.ports[1]); // MAL_INST_PORT = PORT_NUM (§5.7)
        }
        for (const [, ports] of used) expect(new Set(ports).size).toBe(ports.length);
      }),
      RUNS,
    );
  });

  it('every MON_DW_IP and ARCH_DEST resolves to a configured instance', () => {
    fc.assert(
      fc.property(anySpec, (spec) => {
        const files = renderValid(spec);
        const instances = mal(files);
        const names = new Set(instances.map((m) => m.name));
        const insts = byInstance(files);
        const mon = parseIni(files.find((f) => f.role === 'dmmonitor.ini')!.content);
        const endpoints = mon.sections
          .flatMap((s) => all(s.entries, 'MON_DW_IP'))
          .flatMap((v) => v.split('/'));
        // each watcher endpoint is MAL_HOST:MAL_DW_PORT of one instance, and every instance is watched once
        expect([...endpoints].sort()).toEqual(instances.map((m) => m.dw).sort());
        for (const [, i] of insts) {
          // §2.2.11.3: STANDBY_ARCHIVE is reserved; §5.3: section names are unique
          const labels = i.arch.sections.map((s) => s.name.toUpperCase());
          expect(labels).not.toContain('STANDBY_ARCHIVE');
          expect(new Set(labels).size).toBe(labels.length);
        }
        for (const [, i] of insts)
          for (const s of i.arch.sections) {
            const type = get(s.entries, 'ARCH_TYPE');
            const dest = get(s.entries, 'ARCH_DEST')!;
            if (type === 'LOCAL') continue;
            for (const part of dest.split('/')) expect(names.has(part), `${dest} in ${i.dir}`).toBe(true);
            if (type === 'REMOTE')
              expect(get(s.entries, 'ARCH_INCOMING_PATH')).toBe(
                get(
                  insts.get(dest)!.arch.sections.find((x) => get(x.entries, 'ARCH_TYPE') === 'LOCAL')!
                    .entries,
                  'ARCH_DEST',
                ),
              );
          }
      }),
      RUNS,
    );
  });

  it('every database that can become primary carries the same async and sync entries, with their timers', () => {
    fc.assert(
      fc.property(anySpec, (spec) => {
        const files = renderValid(spec);
        const insts = byInstance(files);
        const iniToInst = new Map([...insts].map(([n, i]) => [`${i.host}:${i.dir}/dm.ini`, n]));
        const groups = new Map<string, string[]>();
        for (const f of files.filter((x) => x.role === 'dmwatcher.ini'))
          for (const s of parseIni(f.content).sections)
            if (get(s.entries, 'DW_TYPE') === 'GLOBAL')
              groups.set(s.name, [
                ...(groups.get(s.name) ?? []),
                iniToInst.get(`${f.host}:${get(s.entries, 'INST_INI')}`)!,
              ]);
        for (const [, members] of groups) {
          const sig = (n: string) =>
            insts
              .get(n)!
              .arch.sections.filter((s) => ['ASYNC', 'SYNC'].includes(get(s.entries, 'ARCH_TYPE')!))
              .map((s) => s.entries.map(([k, v]) => `${k}=${v}`).join(' '))
              .sort();
          const first = sig(members[0]!);
          for (const m of members) expect(sig(m)).toEqual(first);
        }
        // an ASYNC entry names a valid timer of the same directory, and that instance runs timers
        for (const [, i] of insts)
          for (const s of i.arch.sections.filter((x) => get(x.entries, 'ARCH_TYPE') === 'ASYNC')) {
            const t = i.timer?.sections.find((x) => x.name === get(s.entries, 'ARCH_TIMER_NAME'));
            expect(t && get(t.entries, 'IS_VALID')).toBe('1');
            expect(i.dmIni.get('TIMER_INI')).toBe('1');
          }
      }),
      RUNS,
    );
  });

  it('watchers, monitor and OGUIDs agree, and rendering is deterministic', () => {
    fc.assert(
      fc.property(anySpec, (spec) => {
        const files = renderValid(spec);
        const mon = parseIni(files.find((f) => f.role === 'dmmonitor.ini')!.content);
        const oguid = new Map(mon.sections.map((s) => [s.name, get(s.entries, 'MON_INST_OGUID')]));
        for (const f of files.filter((x) => x.role === 'dmwatcher.ini'))
          for (const s of parseIni(f.content).sections)
            expect(get(s.entries, 'INST_OGUID')).toBe(oguid.get(s.name));
        expect(renderCluster(validateSpec(spec).model!)).toEqual(files);
      }),
      RUNS,
    );
  });
});
