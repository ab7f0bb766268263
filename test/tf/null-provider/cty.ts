/**
 * Terraform values on the wire (tfplugin6 DynamicValue): cty's msgpack encoding, or JSON.
 * An unknown value is a msgpack extension: type 0 (wholly unknown, cty writes d4 00 00) or type 0x0c
 * (unknown with refinements, e.g. "not null"); both decode to `Unknown`, which re-encodes to the same
 * bytes, so refinements survive a round trip. Objects encode with sorted keys, as cty writes them.
 */
import { ExtensionCodec, decode, encode } from '@msgpack/msgpack';
import type { DynamicValue } from './types';

const UNKNOWN_EXT = 0;
const UNKNOWN_REFINED_EXT = 0x0c;

export class Unknown {
  constructor(
    readonly extType: number = UNKNOWN_EXT,
    readonly payload: Uint8Array = new Uint8Array([0]),
  ) {}
}

/** A wholly unknown value ("known after apply"). */
export const UNKNOWN = new Unknown();

export type CtyValue = null | string | number | boolean | Unknown | CtyValue[] | { [key: string]: CtyValue };
export type CtyObject = { [key: string]: CtyValue };

const extensionCodec = new ExtensionCodec();
for (const type of [UNKNOWN_EXT, UNKNOWN_REFINED_EXT]) {
  extensionCodec.register({
    type,
    encode: (v: unknown) => (v instanceof Unknown && v.extType === type ? v.payload : null),
    decode: (data: Uint8Array) => new Unknown(type, Uint8Array.from(data)),
  });
}

export const isUnknown = (v: unknown): v is Unknown => v instanceof Unknown;

export function isObject(v: CtyValue | undefined): v is CtyObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Unknown);
}

/** Whether `v` holds an unknown value anywhere. */
export function containsUnknown(v: CtyValue): boolean {
  if (v instanceof Unknown) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (isObject(v)) return Object.values(v).some(containsUnknown);
  return false;
}

/** Equality of wholly known values; anything unknown is unequal (it may turn out to differ). */
export function knownEqual(a: CtyValue, b: CtyValue): boolean {
  if (a instanceof Unknown || b instanceof Unknown) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => knownEqual(x, b[i]!))
    );
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && knownEqual(a[k]!, b[k]!));
  }
  return a === b;
}

function sortKeys(v: CtyValue): CtyValue {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  const out: CtyObject = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]!);
  return out;
}

export const encodeMsgpack = (v: CtyValue): Uint8Array => encode(sortKeys(v), { extensionCodec });
export const decodeMsgpack = (bytes: Uint8Array): CtyValue => decode(bytes, { extensionCodec }) as CtyValue;

/** A DynamicValue as a value; an absent or empty DynamicValue is null. */
export function fromDynamic(dv: DynamicValue | null | undefined): CtyValue {
  if (dv?.msgpack && dv.msgpack.length > 0) return decodeMsgpack(dv.msgpack);
  if (dv?.json && dv.json.length > 0) return JSON.parse(Buffer.from(dv.json).toString('utf8')) as CtyValue;
  return null;
}

export const toDynamic = (v: CtyValue): DynamicValue => ({ msgpack: Buffer.from(encodeMsgpack(v)) });

/** A cty type as the JSON bytes schemas carry ("string", ["map","string"], ...). */
export type CtyType =
  | 'string'
  | 'number'
  | 'bool'
  | 'dynamic'
  | [kind: 'map' | 'list' | 'set', element: CtyType];
export const typeBytes = (t: CtyType): Buffer => Buffer.from(JSON.stringify(t));
