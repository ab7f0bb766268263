/**
 * The tfplugin6 messages this provider reads and writes, as @grpc/proto-loader presents them with
 * the options in protos.ts (snake_case field names, enums as strings, bytes as Buffer, int64 as
 * number, unset message fields as null). Only the fields used here are declared.
 */

export interface DynamicValue {
  msgpack?: Uint8Array;
  json?: Uint8Array;
}

export interface AttributePathStep {
  attribute_name?: string;
  element_key_string?: string;
  element_key_int?: number;
}

export interface AttributePath {
  steps: AttributePathStep[];
}

export interface Diagnostic {
  severity: 'ERROR' | 'WARNING';
  summary: string;
  detail?: string;
  attribute?: AttributePath;
}

export type StringKind = 'PLAIN' | 'MARKDOWN';

export interface SchemaAttribute {
  name: string;
  type: Buffer;
  description?: string;
  description_kind?: StringKind;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
  deprecated?: boolean;
}

export interface Schema {
  version: number;
  block: {
    version?: number;
    attributes: SchemaAttribute[];
    block_types: never[];
    description?: string;
    description_kind?: StringKind;
    deprecated?: boolean;
  };
}

export interface ServerCapabilities {
  plan_destroy: boolean;
  get_provider_schema_optional: boolean;
  move_resource_state: boolean;
}

export interface TypedConfigRequest {
  type_name: string;
  config: DynamicValue | null;
}

export interface UpgradeResourceStateRequest {
  type_name: string;
  version: number;
  raw_state: { json: Buffer; flatmap: Record<string, string> } | null;
}

export interface ReadResourceRequest {
  type_name: string;
  current_state: DynamicValue | null;
  private: Buffer;
}

export interface PlanResourceChangeRequest {
  type_name: string;
  prior_state: DynamicValue | null;
  proposed_new_state: DynamicValue | null;
  config: DynamicValue | null;
  prior_private: Buffer;
}

export interface ApplyResourceChangeRequest {
  type_name: string;
  prior_state: DynamicValue | null;
  planned_state: DynamicValue | null;
  config: DynamicValue | null;
  planned_private: Buffer;
}

export interface ImportResourceStateRequest {
  type_name: string;
  id: string;
}

export interface MoveResourceStateRequest {
  source_type_name: string;
  target_type_name: string;
}
