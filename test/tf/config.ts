/**
 * Reading a synthesized stack (`cdk.tf.json`) into the little Terraform the test executor runs:
 * variables, `null_resource`s (triggers, depends_on, local-exec provisioners) and outputs. Every
 * check Terraform makes before touching anything is made here, and anything outside the model
 * (other resource types, data sources, locals, lifecycle, other provisioners, unsupported
 * expressions) is refused by name, so a stack the executor accepts means the same in Terraform.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Part, type Ref, SUPPORTED_REFS, parseTemplate } from './expr';
import { topoOrder } from './graph';

export interface Variable {
  name: string;
  sensitive: boolean;
  default: string | undefined;
}

/** A string attribute of the configuration: where it is (for messages), as written, and parsed. */
export interface Field {
  where: string;
  source: string;
  parts: Part[];
}

export interface Provisioner {
  index: number;
  when: 'create' | 'destroy';
  command: Field;
  environment: [string, Field][];
  workingDir: Field | undefined;
}

export interface ResourceConfig {
  address: string;
  triggers: [string, Field][];
  provisioners: Provisioner[];
  /** Addresses it depends on: depends_on plus references, sorted. */
  deps: string[];
}

export type OutputConfig = { name: string; sensitive: boolean } & (
  | { literal: unknown }
  | { field: Field }
  | { unknown: string }
);

/** Variable values resolved for a run. */
export type Vars = Map<string, { value: string; sensitive: boolean }>;

export interface Config {
  variables: Map<string, Variable>;
  resources: Map<string, ResourceConfig>;
  outputs: OutputConfig[];
}

export class TfConfigError extends Error {
  override name = 'TfConfigError';
}

const DESTROY_REFS =
  'Destroy-time provisioners and their connection configurations may only reference attributes of the ' +
  "related resource, via 'self', 'count.index', or 'each.key'.";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(obj: Json, allowed: string[], where: string): void {
  for (const k of Object.keys(obj))
    if (!allowed.includes(k))
      throw new TfConfigError(`${where}: "${k}" is not modelled by the test executor`);
}

function scalar(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TfConfigError(`${where}: expected a string, got ${JSON.stringify(v)}`);
}

function field(v: unknown, where: string): Field {
  const source = scalar(v, where);
  try {
    return { where, source, parts: parseTemplate(source) };
  } catch (e) {
    throw new TfConfigError(`${where}: ${(e as Error).message}`);
  }
}

function stringMap(v: unknown, where: string): [string, Field][] {
  if (v === undefined) return [];
  if (!isObject(v)) throw new TfConfigError(`${where}: expected a map of strings`);
  return Object.entries(v).map(([k, x]) => [k, field(x, `${where}.${k}`)]);
}

function parseVariables(block: unknown): Map<string, Variable> {
  const vars = new Map<string, Variable>();
  for (const [name, v] of Object.entries(isObject(block) ? block : {})) {
    const where = `variable.${name}`;
    if (!isObject(v)) throw new TfConfigError(`${where}: expected an object`);
    onlyKeys(v, ['type', 'default', 'sensitive', 'description', 'nullable'], where);
    const def = v.default === undefined ? undefined : scalar(v.default, `${where}.default`);
    vars.set(name, { name, sensitive: v.sensitive === true, default: def });
  }
  return vars;
}

function parseProvisioner(p: unknown, index: number, where: string): Provisioner {
  if (!isObject(p)) throw new TfConfigError(`${where}: expected an object`);
  const types = Object.keys(p);
  if (types.length !== 1 || types[0] !== 'local-exec')
    throw new TfConfigError(`${where}: only local-exec provisioners are modelled, got ${types.join(', ')}`);
  const le = p['local-exec'];
  if (!isObject(le)) throw new TfConfigError(`${where}: expected an object`);
  onlyKeys(le, ['command', 'environment', 'working_dir', 'when'], `${where}.local-exec`);
  const when = le.when ?? 'create';
  if (when !== 'create' && when !== 'destroy')
    throw new TfConfigError(`${where}: when must be "create" or "destroy", got ${JSON.stringify(when)}`);
  if (le.command === undefined) throw new TfConfigError(`${where}: command is required`);
  return {
    index,
    when,
    command: field(le.command, `${where}.command`),
    environment: stringMap(le.environment, `${where}.environment`),
    workingDir: le.working_dir === undefined ? undefined : field(le.working_dir, `${where}.working_dir`),
  };
}

function parseDependsOn(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new TfConfigError(`${where}: expected a list`);
  return v.map((d) => {
    const m = typeof d === 'string' ? d.match(/^(?:\$\{)?(null_resource\.[A-Za-z_][\w-]*)\}?$/) : null;
    if (!m) throw new TfConfigError(`${where}: ${JSON.stringify(d)} is not a null_resource address`);
    return m[1]!;
  });
}

function parseResource(name: string, body: unknown): { resource: ResourceConfig; dependsOn: string[] } {
  const address = `null_resource.${name}`;
  if (!isObject(body)) throw new TfConfigError(`${address}: expected an object`);
  onlyKeys(body, ['//', 'triggers', 'depends_on', 'provisioner'], address);
  const provs = body.provisioner ?? [];
  if (!Array.isArray(provs)) throw new TfConfigError(`${address}.provisioner: expected a list`);
  return {
    resource: {
      address,
      triggers: stringMap(body.triggers, `${address}.triggers`),
      provisioners: provs.map((p, i) => parseProvisioner(p, i, `${address}.provisioner[${i}]`)),
      deps: [],
    },
    dependsOn: parseDependsOn(body.depends_on, `${address}.depends_on`),
  };
}

function parseOutput(name: string, o: unknown): OutputConfig {
  const where = `output.${name}`;
  if (!isObject(o)) throw new TfConfigError(`${where}: expected an object`);
  onlyKeys(o, ['value', 'sensitive', 'description', 'depends_on'], where);
  const sensitive = o.sensitive === true;
  if (typeof o.value === 'string') return { name, sensitive, field: field(o.value, where) };
  if (JSON.stringify(o.value ?? null).includes('${'))
    return {
      name,
      sensitive,
      unknown: 'expressions inside lists and maps are not evaluated by the test executor',
    };
  return { name, sensitive, literal: o.value ?? null };
}

type Context = 'trigger' | 'create' | 'destroy' | 'output';

/**
 * Check every reference of `f` for its context; returns the resources it refers to, or for an
 * output, a note when it cannot be evaluated.
 */
function checkRefs(
  f: Field,
  ctx: Context,
  self: ResourceConfig | undefined,
  cfg: Config,
  sensitiveOutput = false,
): { refs: string[]; note?: string } {
  const refs: string[] = [];
  for (const p of f.parts) {
    if ('text' in p) continue;
    const fail = (why: string) => new TfConfigError(`${f.where}: \${${p.expr}}: ${why}`);
    const ref: Ref | undefined = p.ref;
    if (!ref) {
      if (ctx === 'output') return { refs, note: `\${${p.expr}} is not evaluated by the test executor` };
      throw fail(`unsupported expression; the test executor models only ${SUPPORTED_REFS}`);
    }
    if (ctx === 'destroy' && ref.kind !== 'self') throw fail(DESTROY_REFS);
    if (ref.kind === 'self') {
      if (ctx === 'trigger' || ctx === 'output') throw fail('"self" is only available in provisioners');
      if (ref.attr === 'triggers' && !self!.triggers.some(([k]) => k === ref.key))
        throw fail(`${self!.address} has no trigger "${ref.key}"`);
    } else if (ref.kind === 'var') {
      const v = cfg.variables.get(ref.name);
      if (!v) throw fail(`reference to undeclared input variable "${ref.name}"`);
      if (v.sensitive && ctx === 'trigger')
        throw fail(
          `triggers are stored in the state in plain text, so sensitive variable "${ref.name}" must not ` +
            'reach them; pass the secret through the provisioner environment',
        );
      if (v.sensitive && ctx === 'output' && !sensitiveOutput)
        throw fail(`output refers to sensitive variable "${ref.name}"; declare the output sensitive`);
    } else {
      const target = cfg.resources.get(`null_resource.${ref.name}`);
      if (!target) throw fail(`reference to undeclared resource null_resource.${ref.name}`);
      if (ref.attr === 'triggers' && !target.triggers.some(([k]) => k === ref.key))
        throw fail(`${target.address} has no trigger "${ref.key}"`);
      refs.push(target.address);
    }
  }
  return { refs };
}

/** Read and check `<stackDir>/cdk.tf.json`. */
export function loadConfig(stackDir: string): Config {
  const file = path.join(stackDir, 'cdk.tf.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!isObject(doc)) throw new TfConfigError(`${file}: expected a JSON object`);
  onlyKeys(doc, ['//', 'terraform', 'provider', 'resource', 'variable', 'output'], file);
  for (const p of Object.keys(isObject(doc.provider) ? doc.provider : {}))
    if (p !== 'null') throw new TfConfigError(`provider "${p}" is not modelled by the test executor`);
  const resourceBlock = isObject(doc.resource) ? doc.resource : {};
  for (const type of Object.keys(resourceBlock))
    if (type !== 'null_resource')
      throw new TfConfigError(`resource type "${type}" is not modelled by the test executor`);

  const cfg: Config = { variables: parseVariables(doc.variable), resources: new Map(), outputs: [] };
  const parsed = Object.entries(isObject(resourceBlock.null_resource) ? resourceBlock.null_resource : {}).map(
    ([name, body]) => parseResource(name, body),
  );
  for (const { resource } of parsed) cfg.resources.set(resource.address, resource);

  for (const { resource: r, dependsOn } of parsed) {
    const deps = new Set<string>();
    for (const d of dependsOn) {
      if (!cfg.resources.has(d))
        throw new TfConfigError(`${r.address}.depends_on: reference to undeclared resource ${d}`);
      deps.add(d);
    }
    const fields = r.provisioners.flatMap((p) =>
      [p.command, ...p.environment.map(([, e]) => e), ...(p.workingDir ? [p.workingDir] : [])].map(
        (f) => [f, p.when] as const,
      ),
    );
    for (const [f, ctx] of [...r.triggers.map(([, f]) => [f, 'trigger'] as const), ...fields])
      for (const d of checkRefs(f, ctx, r, cfg).refs) deps.add(d);
    r.deps = [...deps].sort();
  }
  try {
    topoOrder(new Map([...cfg.resources].map(([a, r]) => [a, r.deps])));
  } catch (e) {
    throw new TfConfigError((e as Error).message);
  }

  for (const [name, o] of Object.entries(isObject(doc.output) ? doc.output : {})) {
    const out = parseOutput(name, o);
    const note =
      'field' in out ? checkRefs(out.field, 'output', undefined, cfg, out.sensitive).note : undefined;
    cfg.outputs.push(note ? { name, sensitive: out.sensitive, unknown: note } : out);
  }
  return cfg;
}

/** Values for every variable: given, else TF_VAR_<name>, else the default; all missing ones in one error. */
export function resolveVariables(cfg: Config, given: Record<string, string>, env: NodeJS.ProcessEnv): Vars {
  const out: Vars = new Map();
  const missing: string[] = [];
  for (const v of cfg.variables.values()) {
    const value = given[v.name] ?? env[`TF_VAR_${v.name}`] ?? v.default;
    if (value === undefined) missing.push(v.name);
    else out.set(v.name, { value, sensitive: v.sensitive });
  }
  if (missing.length > 0)
    throw new TfConfigError(
      `No value for required variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(give it in vars or as ${missing.map((m) => `TF_VAR_${m}`).join(', ')})`,
    );
  for (const name of Object.keys(given))
    if (!cfg.variables.has(name)) throw new TfConfigError(`Value for undeclared variable "${name}"`);
  return out;
}
