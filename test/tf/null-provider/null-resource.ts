/**
 * What hashicorp/null v3.2.x does for `null_resource`, as pure functions on decoded values:
 * schema, state upgrade, plan (triggers changes require replacement), apply (a random decimal id on
 * create), import. The gRPC plumbing is provider.ts.
 */
import { randomBytes } from 'node:crypto';
import {
  type CtyObject,
  type CtyValue,
  UNKNOWN,
  containsUnknown,
  isObject,
  knownEqual,
  typeBytes,
} from './cty';
import type { AttributePath, Diagnostic, Schema } from './types';

export const NULL_RESOURCE = 'null_resource';
/** Declared in the schema only so that a configuration using it gets this double's refusal. */
export const NULL_DATA_SOURCE = 'null_data_source';

const SELF = 'The null provider test double (dm-cdktf test/tf/null-provider)';

export function unsupportedResource(typeName: string): Diagnostic {
  return {
    severity: 'ERROR',
    summary: `Resource type ${typeName} is not served by the null provider test double`,
    detail:
      `${SELF} serves only the ${NULL_RESOURCE} resource type; "${typeName}" is not implemented. ` +
      'Run this configuration with the real hashicorp/null provider.',
  };
}

export function unsupportedDataSource(typeName: string): Diagnostic {
  return {
    severity: 'ERROR',
    summary: `Data source ${typeName} is not served by the null provider test double`,
    detail:
      `${SELF} serves no data sources (hashicorp/null's deprecated ${NULL_DATA_SOURCE} included); ` +
      `"${typeName}" is not implemented. It serves only the ${NULL_RESOURCE} resource type.`,
  };
}

export const error = (summary: string, detail?: string): Diagnostic => ({
  severity: 'ERROR',
  summary,
  detail,
});

const emptyBlock = (description = ''): Schema['block'] => ({
  attributes: [],
  block_types: [],
  description,
  description_kind: 'MARKDOWN',
});

export const providerSchema: Schema = { version: 0, block: emptyBlock() };

export const nullResourceSchema: Schema = {
  version: 0,
  block: {
    ...emptyBlock(
      'The `null_resource` resource implements the standard resource lifecycle but takes no further action. ' +
        'On Terraform 1.4 and later, use the `terraform_data` resource type instead.\n\n' +
        'The `triggers` argument allows specifying an arbitrary set of values that, when changed, ' +
        'will cause the resource to be replaced.',
    ),
    attributes: [
      {
        name: 'id',
        type: typeBytes('string'),
        computed: true,
        description: 'This is set to a random value at create time.',
        description_kind: 'MARKDOWN',
      },
      {
        name: 'triggers',
        type: typeBytes(['map', 'string']),
        optional: true,
        description:
          'A map of arbitrary strings that, when changed, will force the null resource to be replaced, ' +
          're-running any associated provisioners.',
        description_kind: 'MARKDOWN',
      },
    ],
  },
};

/** hashicorp/null's (deprecated) data source schema; every call for it is refused. */
export const nullDataSourceSchema: Schema = {
  version: 0,
  block: {
    ...emptyBlock('Not served by this test double.'),
    deprecated: true,
    attributes: [
      { name: 'has_computed_default', type: typeBytes('string'), optional: true, computed: true },
      { name: 'id', type: typeBytes('string'), computed: true, deprecated: true },
      { name: 'inputs', type: typeBytes(['map', 'string']), optional: true },
      { name: 'outputs', type: typeBytes(['map', 'string']), computed: true },
      { name: 'random', type: typeBytes('string'), computed: true },
    ],
  },
};

/** A null_resource object; `null` where the resource does not exist. */
export type State = CtyObject | null;

export interface Result<T> {
  value: T;
  diagnostics: Diagnostic[];
}
const ok = <T>(value: T): Result<T> => ({ value, diagnostics: [] });
const fail = <T>(value: T, d: Diagnostic): Result<T> => ({ value, diagnostics: [d] });

/** Keeps exactly the schema's attributes, as the framework does (unknown attributes are dropped). */
function conform(id: CtyValue | undefined, triggers: CtyValue | undefined): CtyObject {
  return { id: id ?? null, triggers: triggers ?? null };
}

function asState(v: CtyValue, what: string): State {
  if (v === null) return null;
  if (!isObject(v)) throw new Error(`${what}: expected an object, got ${JSON.stringify(v)}`);
  return v;
}

/** A stored state of schema version `version`, as JSON or legacy flatmap, in the current schema. */
export function upgradeState(
  version: number,
  json: Buffer | null,
  flatmap: Record<string, string>,
): Result<State> {
  if (version > nullResourceSchema.version) {
    return fail(
      null,
      error(
        'State was written by a newer provider',
        `The stored ${NULL_RESOURCE} state has schema version ${version}; this provider knows version 0.`,
      ),
    );
  }
  if (json && json.length > 0) {
    const raw: unknown = JSON.parse(json.toString('utf8'));
    if (raw === null) return ok(null);
    if (typeof raw !== 'object' || Array.isArray(raw))
      return fail(null, error('Stored state is not an object'));
    const o = raw as Record<string, unknown>;
    const triggers = o.triggers;
    if (triggers !== undefined && triggers !== null && !isStringMap(triggers)) {
      return fail(null, error('Stored triggers are not a map of strings'));
    }
    return ok(conform(typeof o.id === 'string' ? o.id : null, (triggers as CtyObject | undefined) ?? null));
  }
  // Legacy flatmap: "id", "triggers.%" (count) and "triggers.<key>".
  const keys = Object.keys(flatmap);
  if (keys.length === 0) return ok(null);
  let triggers: CtyObject | null = null;
  if ('triggers.%' in flatmap) {
    triggers = {};
    for (const k of keys)
      if (k.startsWith('triggers.') && k !== 'triggers.%') triggers[k.slice(9)] = flatmap[k]!;
  }
  return ok(conform(flatmap.id ?? null, triggers));
}

function isStringMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string')
  );
}

export interface Plan {
  planned: State;
  requiresReplace: AttributePath[];
}

const TRIGGERS_PATH: AttributePath = { steps: [{ attribute_name: 'triggers' }] };

/**
 * Create: id unknown, triggers from the configuration. Update: the prior id (the framework's
 * UseStateForUnknown), and when triggers differ (or are not yet known) replacement on `triggers`.
 * Destroy (proposed state null): null.
 */
export function planChange(priorValue: CtyValue, proposedValue: CtyValue): Plan {
  const prior = asState(priorValue, 'prior state');
  const proposed = asState(proposedValue, 'proposed new state');
  if (proposed === null) return { planned: null, requiresReplace: [] };
  const triggers = proposed.triggers ?? null;
  if (prior === null) return { planned: conform(UNKNOWN, triggers), requiresReplace: [] };
  const priorTriggers = prior.triggers ?? null;
  return {
    planned: conform(prior.id, triggers),
    requiresReplace: knownEqual(priorTriggers, triggers) ? [] : [TRIGGERS_PATH],
  };
}

/** hashicorp/null's id: fmt.Sprintf("%d", rand.Int()), a non-negative 63-bit integer. */
export function randomId(): string {
  return (randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn).toString();
}

/** Create: a fresh id, triggers as planned. Destroy (planned null): null. */
export function applyChange(plannedValue: CtyValue): Result<State> {
  const planned = asState(plannedValue, 'planned state');
  if (planned === null) return ok(null);
  const triggers = planned.triggers ?? null;
  if (containsUnknown(triggers)) {
    return fail(
      null,
      error('Planned triggers are still unknown at apply', 'Terraform sent an incomplete plan.'),
    );
  }
  const id = typeof planned.id === 'string' ? planned.id : randomId();
  return ok(conform(id, triggers));
}

/** Read: the state as it is (nothing exists outside Terraform's state). */
export const readState = (current: CtyValue): State => asState(current, 'current state');

/** Import: the id only. */
export const importState = (id: string): CtyObject => conform(id, null);
