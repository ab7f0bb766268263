/**
 * The built-in Terraform executor against stacks synthesized with the real cdktf API: order and
 * parallelism, idempotent re-apply, replace, orphan destroy, crash recovery, taint, destroy,
 * secrets, and the checks made before anything runs. Provisioners append lines to a log file.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resource } from '@cdktf/provider-null';
import {
  Fn,
  type LocalExecProvisioner,
  TerraformOutput,
  type TerraformStack,
  TerraformVariable,
} from 'cdktf';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TfApplyError,
  TfCrash,
  type TfEvent,
  type TfOptions,
  TfConfigError,
  apply,
  destroy,
  plan,
} from './index';
import { type SynthStack, synthStack } from './fixture';

const stacks: SynthStack[] = [];
afterEach(() => {
  for (const s of stacks.splice(0)) s.cleanup();
});

/** Create-time and destroy-time provisioners that log `create <name>` / `destroy <name>`. */
function logs(name: string, create = ''): LocalExecProvisioner[] {
  return [
    { type: 'local-exec', command: `${create}echo create ${name} >> "$LOG"` },
    { type: 'local-exec', command: `echo destroy ${name} >> "$LOG"`, when: 'destroy' },
  ];
}

interface Harness {
  s: SynthStack;
  opts: TfOptions;
  log(): string[];
  state(): {
    resources: Record<string, { tainted: boolean; triggers: Record<string, string> }>;
    outputs: object;
  };
  events: (TfEvent & { t: number })[];
}

function harness(build: (stack: TerraformStack) => void, extra: Partial<TfOptions> = {}): Harness {
  const s = synthStack(build);
  stacks.push(s);
  const logFile = path.join(s.root, 'log');
  const events: Harness['events'] = [];
  return {
    s,
    events,
    opts: {
      stackDir: s.stackDir,
      env: { ...process.env, LOG: logFile },
      onEvent: (e) => events.push({ ...e, t: performance.now() }),
      ...extra,
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n') : []),
    state: () => JSON.parse(readFileSync(path.join(s.stackDir, 'terraform.tfstate.json'), 'utf8')),
  };
}

const at = (h: Harness, type: TfEvent['type'], address: string) =>
  h.events.find((e) => e.type === type && e.address === address)!.t;

describe('the synthesized JSON the executor reads', () => {
  it('has plain-address depends_on, provisioner blocks keyed by type, and ${var.x} references', () => {
    const h = harness((st) => {
      const pw = new TerraformVariable(st, 'pw', { type: 'string', sensitive: true });
      const a = new resource.Resource(st, 'a', { triggers: { v: '1' }, provisioners: logs('a') });
      new resource.Resource(st, 'b', {
        dependsOn: [a],
        provisioners: [{ type: 'local-exec', command: 'true', environment: { PW: pw.stringValue } }],
      });
    });
    const json = JSON.parse(readFileSync(path.join(h.s.stackDir, 'cdk.tf.json'), 'utf8'));
    const { a, b } = json.resource.null_resource;
    expect(b.depends_on).toEqual(['null_resource.a']);
    expect(a.provisioner[1]).toEqual({
      'local-exec': { command: 'echo destroy a >> "$LOG"', when: 'destroy' },
    });
    expect(b.provisioner[0]['local-exec'].environment).toEqual({ PW: '${var.pw}' });
    expect(json.variable.pw).toEqual({ sensitive: true, type: 'string' });
  });
});

describe('apply', () => {
  it('creates in dependency order, independent resources in parallel', async () => {
    const build = (st: TerraformStack) => {
      const a = new resource.Resource(st, 'a', { provisioners: logs('a', 'sleep 0.3; ') });
      const b = new resource.Resource(st, 'b', { provisioners: logs('b', 'sleep 0.3; ') });
      const c = new resource.Resource(st, 'c', { dependsOn: [a, b], provisioners: logs('c') });
      // an implicit dependency: a reference in the triggers
      new resource.Resource(st, 'd', { triggers: { after: c.id }, provisioners: logs('d') });
    };
    const h = harness(build);
    const r = await apply(h.opts);
    expect(r.created.sort()).toEqual([
      'null_resource.a',
      'null_resource.b',
      'null_resource.c',
      'null_resource.d',
    ]);
    expect(h.log().slice(2)).toEqual(['create c', 'create d']);
    // a and b overlap; c waits for both, d for c
    expect(at(h, 'start', 'null_resource.b')).toBeLessThan(at(h, 'finish', 'null_resource.a'));
    expect(at(h, 'start', 'null_resource.a')).toBeLessThan(at(h, 'finish', 'null_resource.b'));
    const ab = Math.max(at(h, 'finish', 'null_resource.a'), at(h, 'finish', 'null_resource.b'));
    expect(at(h, 'start', 'null_resource.c')).toBeGreaterThanOrEqual(ab);
    expect(at(h, 'start', 'null_resource.d')).toBeGreaterThanOrEqual(at(h, 'finish', 'null_resource.c'));
    expect(r.completed.slice(2)).toEqual(['null_resource.c', 'null_resource.d']);
    expect(h.state().resources['null_resource.d']!.triggers.after).toMatch(/^\d+$/);

    const serial = harness(build, { parallelism: 1 });
    await apply(serial.opts);
    const [first, second] = ['null_resource.a', 'null_resource.b'].sort(
      (x, y) => at(serial, 'start', x) - at(serial, 'start', y),
    );
    expect(at(serial, 'start', second!)).toBeGreaterThanOrEqual(at(serial, 'finish', first!));
  });

  it('runs nothing when applied again without a change', async () => {
    const h = harness((st) => {
      const a = new resource.Resource(st, 'a', { triggers: { v: '1' }, provisioners: logs('a') });
      new resource.Resource(st, 'b', { dependsOn: [a], provisioners: logs('b') });
    });
    await apply(h.opts);
    const r = await apply(h.opts);
    expect(r).toMatchObject({ created: [], replaced: [], destroyed: [], completed: [] });
    expect(r.unchanged.sort()).toEqual(['null_resource.a', 'null_resource.b']);
    expect(h.log()).toEqual(['create a', 'create b']);
    expect(await plan(h.opts)).toEqual({
      create: [],
      replace: [],
      destroy: [],
      noop: ['null_resource.a', 'null_resource.b'],
    });
  });

  it('replaces exactly the resource whose triggers changed: destroy provisioner, then create', async () => {
    const build = (v: string) => (st: TerraformStack) => {
      const a = new resource.Resource(st, 'a', { triggers: { v: '1' }, provisioners: logs('a') });
      const b = new resource.Resource(st, 'b', { triggers: { v }, dependsOn: [a], provisioners: logs('b') });
      new resource.Resource(st, 'c', { dependsOn: [b], provisioners: logs('c') });
    };
    const h = harness(build('1'));
    await apply(h.opts);
    h.s.resynth(build('2'));
    expect(await plan(h.opts)).toMatchObject({ replace: ['null_resource.b'], create: [], destroy: [] });
    const r = await apply(h.opts);
    expect(r.replaced).toEqual(['null_resource.b']);
    expect(r.unchanged.sort()).toEqual(['null_resource.a', 'null_resource.c']);
    expect(h.log().slice(3)).toEqual(['destroy b', 'create b']);
    expect(h.state().resources['null_resource.b']!.triggers).toEqual({ v: '2' });
  });

  it('replaces a resource whose trigger refers to the id of one being replaced, as Terraform does', async () => {
    const build = (v: string) => (st: TerraformStack) => {
      const a = new resource.Resource(st, 'a', { triggers: { v }, provisioners: logs('a') });
      new resource.Resource(st, 'b', { triggers: { a: a.id }, provisioners: logs('b') });
    };
    const h = harness(build('1'));
    await apply(h.opts);
    h.s.resynth(build('2'));
    expect((await plan(h.opts)).replace).toEqual(['null_resource.a', 'null_resource.b']);
    await apply(h.opts);
    expect(h.log().slice(2)).toEqual(['destroy b', 'destroy a', 'create a', 'create b']);
  });

  it('destroys a resource removed from the configuration, without its (removed) destroy provisioner', async () => {
    const h = harness((st) => {
      new resource.Resource(st, 'a', { provisioners: logs('a') });
      new resource.Resource(st, 'b', { provisioners: logs('b') });
    });
    await apply(h.opts);
    h.s.resynth((st) => new resource.Resource(st, 'a', { provisioners: logs('a') }));
    expect((await plan(h.opts)).destroy).toEqual(['null_resource.b']);
    const r = await apply(h.opts);
    expect(r.destroyed).toEqual(['null_resource.b']);
    expect(Object.keys(h.state().resources)).toEqual(['null_resource.a']);
    // Terraform runs destroy-time provisioners only from the configuration, and b's is gone
    expect(h.log()).toEqual(['create a', 'create b']);
  });

  it('passes $${ through to the shell as ${, and runs in working_dir relative to the stack', async () => {
    const h = harness(
      (st) =>
        new resource.Resource(st, 'a', {
          provisioners: [{ type: 'local-exec', command: 'echo "$${PWD##*/}" >> "$LOG"', workingDir: 'sub' }],
        }),
    );
    mkdirSync(path.join(h.s.stackDir, 'sub'));
    await apply(h.opts);
    expect(h.log()).toEqual(['sub']);
  });

  it('stores literal and variable outputs, never a sensitive one', async () => {
    const h = harness((st) => {
      const host = new TerraformVariable(st, 'host', { type: 'string', default: 'h1' });
      const a = new resource.Resource(st, 'a', {});
      new TerraformOutput(st, 'lit', { value: { port: 5236 } });
      new TerraformOutput(st, 'hostname', { value: host.stringValue });
      new TerraformOutput(st, 'upper', { value: Fn.upper(host.stringValue) });
      new TerraformOutput(st, 'id', { value: a.id });
      new TerraformOutput(st, 'secret', { value: 'not-stored', sensitive: true });
    });
    await apply(h.opts);
    const { outputs } = h.state() as { outputs: Record<string, { value?: unknown }> };
    expect(outputs.lit).toEqual({ value: { port: 5236 } });
    expect(outputs.hostname).toEqual({ value: 'h1' });
    expect(outputs.upper).toEqual({ unknown: '${upper(var.host)} is not evaluated by the test executor' });
    expect(outputs.id!.value).toMatch(/^\d+$/);
    expect(outputs.secret).toEqual({ sensitive: true });
  });
});

describe('failures and crashes', () => {
  it('crashAfter k keeps exactly the completed resources; the next apply runs only the rest', async () => {
    const h = harness((st) => {
      // a and b complete only once c is running
      const waitForC = 'while [ ! -e "$LOG.pid" ]; do sleep 0.01; done; ';
      new resource.Resource(st, 'a', { provisioners: logs('a', waitForC) });
      new resource.Resource(st, 'b', { provisioners: logs('b', waitForC) });
      // slow only while SLOW is set; killed with its `sleep` child at the crash
      new resource.Resource(st, 'c', {
        provisioners: logs('c', 'echo $$ > "$LOG.pid"; [ -z "$SLOW" ] || sleep 30; '),
      });
    });
    const crash = apply({ ...h.opts, env: { ...h.opts.env, SLOW: '1' }, crashAfter: 2 });
    const err = await crash.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TfCrash);
    expect((err as TfCrash).result.completed.sort()).toEqual(['null_resource.a', 'null_resource.b']);
    expect(Object.keys(h.state().resources).sort()).toEqual(['null_resource.a', 'null_resource.b']);
    const pid = Number(readFileSync(`${h.opts.env!.LOG}.pid`, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
    expect(h.log().sort()).toEqual(['create a', 'create b']);

    const r = await apply(h.opts);
    expect(r.created).toEqual(['null_resource.c']);
    expect(r.unchanged.sort()).toEqual(['null_resource.a', 'null_resource.b']);
    expect(h.log().slice(2)).toEqual(['create c']);
  });

  it('taints a resource whose provisioner fails; independent ones finish; the next apply replaces it without its destroy provisioner', async () => {
    const h = harness((st) => {
      const a = new resource.Resource(st, 'a', {
        provisioners: logs('a', '[ -n "$OK" ] || { echo boom; exit 3; }; '),
      });
      new resource.Resource(st, 'b', { dependsOn: [a], provisioners: logs('b') });
      new resource.Resource(st, 'c', { provisioners: logs('c', 'sleep 0.1; ') });
    });
    const err = await apply(h.opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TfApplyError);
    const e = err as TfApplyError;
    expect(e.failures.map((f) => f.address)).toEqual(['null_resource.a']);
    expect(e.message).toContain('null_resource.a: create-time provisioner 0 (local-exec) failed');
    expect(e.message).toMatch(/exit status 3\. Output:\nboom/);
    expect(e.skipped).toEqual(['null_resource.b']);
    expect(e.result.created).toEqual(['null_resource.c']);
    expect(h.state().resources['null_resource.a']!.tainted).toBe(true);
    expect(h.log()).toEqual(['create c']);

    expect((await plan(h.opts)).replace).toEqual(['null_resource.a']);
    const r = await apply({ ...h.opts, env: { ...h.opts.env, OK: '1' } });
    expect(r.replaced).toEqual(['null_resource.a']);
    expect(r.created).toEqual(['null_resource.b']);
    expect(h.log()).toEqual(['create c', 'create a', 'create b']);
  });

  it('keeps a resource in the state when its destroy provisioner fails', async () => {
    const h = harness((st) => {
      new resource.Resource(st, 'a', {
        provisioners: [{ type: 'local-exec', command: '[ -n "$OK" ] || exit 1', when: 'destroy' }],
      });
    });
    await apply(h.opts);
    await expect(destroy(h.opts)).rejects.toThrow(/null_resource.a: destroy-time provisioner 0/);
    expect(Object.keys(h.state().resources)).toEqual(['null_resource.a']);
    await destroy({ ...h.opts, env: { ...h.opts.env, OK: '1' } });
    expect(h.state().resources).toEqual({});
  });

  it('fails a provisioner that outlives timeoutMs, killing it', async () => {
    const h = harness(
      (st) => new resource.Resource(st, 'a', { provisioners: [{ type: 'local-exec', command: 'sleep 30' }] }),
    );
    await expect(apply({ ...h.opts, timeoutMs: 200 })).rejects.toThrow(/timed out after 200 ms/);
  });
});

describe('destroy', () => {
  it('runs destroy provisioners in reverse dependency order, with self.triggers, and empties the state', async () => {
    const h = harness((st) => {
      const a = new resource.Resource(st, 'a', {
        triggers: { v: 'x1' },
        provisioners: [
          { type: 'local-exec', command: 'echo destroy a ${self.triggers.v} >> "$LOG"', when: 'destroy' },
        ],
      });
      const b = new resource.Resource(st, 'b', { dependsOn: [a], provisioners: logs('b') });
      new resource.Resource(st, 'c', { triggers: { b: b.id }, provisioners: logs('c') });
    });
    await apply(h.opts);
    const r = await destroy(h.opts);
    expect(r.destroyed).toEqual(['null_resource.c', 'null_resource.b', 'null_resource.a']);
    expect(h.log().slice(2)).toEqual(['destroy c', 'destroy b', 'destroy a x1']);
    expect(h.state()).toMatchObject({ resources: {}, outputs: {} });
  });
});

describe('variables and secrets', () => {
  const secret = 'hunter2-Sekr1t';
  const withSecret = (st: TerraformStack) => {
    const pw = new TerraformVariable(st, 'pw', { type: 'string', sensitive: true });
    new resource.Resource(st, 'a', {
      triggers: { v: '1' },
      provisioners: [
        {
          type: 'local-exec',
          command: '[ "$PW" = "$WANT" ] && echo got it >> "$LOG"; echo "$PW"',
          environment: { PW: pw.stringValue },
        },
      ],
    });
  };

  it('a sensitive variable reaches the environment, never the state, cdk.tf.json or the output', async () => {
    for (const given of ['vars', 'TF_VAR'] as const) {
      const h = harness(withSecret);
      const env = { ...h.opts.env, WANT: secret, ...(given === 'TF_VAR' ? { TF_VAR_pw: secret } : {}) };
      await apply({ ...h.opts, env, vars: given === 'vars' ? { pw: secret } : {} });
      expect(h.log()).toEqual(['got it']);
      for (const f of ['terraform.tfstate.json', 'cdk.tf.json'])
        expect(readFileSync(path.join(h.s.stackDir, f), 'utf8').split(secret)).toHaveLength(1);
      const lines = h.events.filter((e) => e.type === 'output').map((e) => (e as { line: string }).line);
      expect(lines).toEqual(['(output suppressed due to sensitive value in config)']);
    }
  });

  it('gives vars to provisioners as TF_VAR_<name>, as real terraform run with TF_VAR_ does', async () => {
    const h = harness((st) => {
      new TerraformVariable(st, 'pw', { type: 'string', sensitive: true });
      new resource.Resource(st, 'a', {
        provisioners: [
          {
            type: 'local-exec',
            command: '[ "$TF_VAR_pw" = "$WANT" ] && echo seen >> "$LOG"',
            when: 'destroy',
          },
        ],
      });
    });
    const o = { ...h.opts, vars: { pw: secret }, env: { ...h.opts.env, WANT: secret } };
    await apply(o);
    await destroy(o);
    expect(h.log()).toEqual(['seen']);
  });

  it('refuses a sensitive variable in an output not declared sensitive', async () => {
    const h = harness((st) => {
      const pw = new TerraformVariable(st, 'pw', { type: 'string', sensitive: true });
      new TerraformOutput(st, 'password', { value: pw.stringValue });
    });
    await expect(apply({ ...h.opts, vars: { pw: secret } })).rejects.toThrow(
      /output.password: \$\{var.pw\}: output refers to sensitive variable "pw"; declare the output sensitive/,
    );
  });

  it('refuses a sensitive variable in triggers before running anything', async () => {
    const h = harness((st) => {
      const pw = new TerraformVariable(st, 'pw', { type: 'string', sensitive: true });
      new resource.Resource(st, 'a', { triggers: { pw: pw.stringValue }, provisioners: logs('a') });
    });
    await expect(apply({ ...h.opts, vars: { pw: secret } })).rejects.toThrow(
      /null_resource.a.triggers.pw: \$\{var.pw\}: triggers are stored in the state in plain text/,
    );
    expect(h.log()).toEqual([]);
  });

  it('rejects var.* in a destroy-time provisioner, as Terraform does', async () => {
    const h = harness((st) => {
      const host = new TerraformVariable(st, 'host', { type: 'string', default: 'h1' });
      new resource.Resource(st, 'a', {
        provisioners: [
          ...logs('a'),
          { type: 'local-exec', command: `echo ${host.stringValue}`, when: 'destroy' },
        ],
      });
    });
    const err = await apply(h.opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TfConfigError);
    expect((err as Error).message).toBe(
      'null_resource.a.provisioner[2].command: ${var.host}: Destroy-time provisioners and their connection ' +
        "configurations may only reference attributes of the related resource, via 'self', 'count.index', or 'each.key'.",
    );
    expect(h.log()).toEqual([]);
  });

  it('names every missing required variable before running anything', async () => {
    const h = harness((st) => {
      new TerraformVariable(st, 'pw', { type: 'string', sensitive: true });
      new TerraformVariable(st, 'user', { type: 'string' });
      new resource.Resource(st, 'a', { provisioners: logs('a') });
    });
    await expect(apply(h.opts)).rejects.toThrow(
      'No value for required variables pw, user (give it in vars or as TF_VAR_pw, TF_VAR_user)',
    );
    await expect(destroy(h.opts)).rejects.toThrow(TfConfigError);
    expect(h.log()).toEqual([]);
  });
});

describe('configurations the executor refuses', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A hand-written cdk.tf.json, for what cdktf would not synthesize. */
  function stack(resources: object, extra: object = {}): TfOptions {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dm-cdktf-tf-'));
    dirs.push(dir);
    writeFileSync(
      path.join(dir, 'cdk.tf.json'),
      JSON.stringify({ resource: { null_resource: resources }, ...extra }),
    );
    return { stackDir: dir };
  }

  it('accepts plain and ${...} depends_on strings', async () => {
    const o = stack({
      a: {},
      b: { depends_on: ['null_resource.a'] },
      c: { depends_on: ['${null_resource.b}'] },
    });
    expect((await apply(o)).completed).toEqual(['null_resource.a', 'null_resource.b', 'null_resource.c']);
  });

  it.each([
    [
      { a: { depends_on: ['null_resource.b'] }, b: { depends_on: ['null_resource.a'] } },
      /dependency cycle: null_resource.a -> null_resource.b -> null_resource.a/,
    ],
    [
      { a: { depends_on: ['null_resource.nope'] } },
      /null_resource.a.depends_on: reference to undeclared resource null_resource.nope/,
    ],
    [
      { a: { triggers: { x: '${null_resource.nope.id}' } } },
      /reference to undeclared resource null_resource.nope/,
    ],
    [
      { a: { triggers: { x: '${upper("a")}' } } },
      /null_resource.a.triggers.x: \$\{upper\("a"\)\}: unsupported expression/,
    ],
    [{ a: { triggers: { x: '${var.nope}' } } }, /reference to undeclared input variable "nope"/],
    [{ a: { lifecycle: { create_before_destroy: true } } }, /null_resource.a: "lifecycle" is not modelled/],
    [
      { a: { provisioner: [{ 'remote-exec': { inline: ['true'] } }] } },
      /only local-exec provisioners are modelled/,
    ],
  ])('refuses %j', async (resources, message) => {
    await expect(apply(stack(resources))).rejects.toThrow(message);
  });

  it('refuses other resource types and blocks', async () => {
    await expect(apply(stack({}, { locals: { x: 1 } }))).rejects.toThrow(/"locals" is not modelled/);
    await expect(apply(stack({}, { data: { external: {} } }))).rejects.toThrow(/"data" is not modelled/);
    await expect(apply(stack({}, { resource: { local_file: { f: {} } } }))).rejects.toThrow(
      /resource type "local_file" is not modelled/,
    );
  });
});
