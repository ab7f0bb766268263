/**
 * The tfplugin6 `Provider` service: decodes requests, applies null-resource.ts, encodes responses.
 * Any type other than null_resource gets a diagnostic naming this double. Methods left out
 * (CallFunction, ephemeral resource lifecycle) answer UNIMPLEMENTED, as the protocol allows.
 */
import { type UntypedServiceImplementation, type handleUnaryCall, status } from '@grpc/grpc-js';
import { fromDynamic, toDynamic } from './cty';
import {
  NULL_DATA_SOURCE,
  NULL_RESOURCE,
  applyChange,
  error,
  importState,
  nullDataSourceSchema,
  nullResourceSchema,
  planChange,
  providerSchema,
  readState,
  unsupportedDataSource,
  unsupportedResource,
  upgradeState,
} from './null-resource';
import type {
  ApplyResourceChangeRequest,
  Diagnostic,
  ImportResourceStateRequest,
  MoveResourceStateRequest,
  PlanResourceChangeRequest,
  ReadResourceRequest,
  ServerCapabilities,
  TypedConfigRequest,
  UpgradeResourceStateRequest,
} from './types';

const CAPABILITIES: ServerCapabilities = {
  plan_destroy: true, // PlanResourceChange is called for destroy too (proposed state null)
  get_provider_schema_optional: false,
  move_resource_state: false,
};

/** A unary handler from a function of the request; a throw becomes an INTERNAL status naming the method. */
function unary<Req, Res>(method: string, fn: (req: Req) => Res): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    try {
      callback(null, fn(call.request));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      process.stderr.write(`[ERROR] null provider test double: ${method}: ${message}\n`);
      callback({ code: status.INTERNAL, details: `null provider test double: ${method}: ${message}` });
    }
  };
}

/** Diagnostics when `typeName` is not null_resource, else undefined. */
const checkResource = (typeName: string): Diagnostic[] | undefined =>
  typeName === NULL_RESOURCE ? undefined : [unsupportedResource(typeName)];

export function providerService(): UntypedServiceImplementation {
  return {
    GetMetadata: unary('GetMetadata', () => ({
      server_capabilities: CAPABILITIES,
      diagnostics: [],
      resources: [{ type_name: NULL_RESOURCE }],
      data_sources: [{ type_name: NULL_DATA_SOURCE }],
      functions: [],
      ephemeral_resources: [],
    })),

    GetProviderSchema: unary('GetProviderSchema', () => ({
      provider: providerSchema,
      resource_schemas: { [NULL_RESOURCE]: nullResourceSchema },
      data_source_schemas: { [NULL_DATA_SOURCE]: nullDataSourceSchema },
      functions: {},
      ephemeral_resource_schemas: {},
      diagnostics: [],
      server_capabilities: CAPABILITIES,
    })),

    ValidateProviderConfig: unary('ValidateProviderConfig', () => ({ diagnostics: [] })),
    ConfigureProvider: unary('ConfigureProvider', () => ({ diagnostics: [] })),
    StopProvider: unary('StopProvider', () => ({ Error: '' })), // nothing long-running to stop
    GetFunctions: unary('GetFunctions', () => ({ functions: {}, diagnostics: [] })),

    ValidateResourceConfig: unary('ValidateResourceConfig', (req: TypedConfigRequest) => ({
      diagnostics: checkResource(req.type_name) ?? [],
    })),

    ValidateDataResourceConfig: unary('ValidateDataResourceConfig', (req: TypedConfigRequest) => ({
      diagnostics: [unsupportedDataSource(req.type_name)],
    })),
    ReadDataSource: unary('ReadDataSource', (req: TypedConfigRequest) => ({
      diagnostics: [unsupportedDataSource(req.type_name)],
    })),

    UpgradeResourceState: unary('UpgradeResourceState', (req: UpgradeResourceStateRequest) => {
      const refused = checkResource(req.type_name);
      if (refused) return { diagnostics: refused };
      const r = upgradeState(req.version, req.raw_state?.json ?? null, req.raw_state?.flatmap ?? {});
      return { upgraded_state: toDynamic(r.value), diagnostics: r.diagnostics };
    }),

    ReadResource: unary('ReadResource', (req: ReadResourceRequest) => {
      const refused = checkResource(req.type_name);
      if (refused) return { diagnostics: refused };
      return {
        new_state: toDynamic(readState(fromDynamic(req.current_state))),
        private: req.private,
        diagnostics: [],
      };
    }),

    PlanResourceChange: unary('PlanResourceChange', (req: PlanResourceChangeRequest) => {
      const refused = checkResource(req.type_name);
      if (refused) return { diagnostics: refused };
      const plan = planChange(fromDynamic(req.prior_state), fromDynamic(req.proposed_new_state));
      return {
        planned_state: toDynamic(plan.planned),
        requires_replace: plan.requiresReplace,
        planned_private: req.prior_private,
        diagnostics: [],
      };
    }),

    ApplyResourceChange: unary('ApplyResourceChange', (req: ApplyResourceChangeRequest) => {
      const refused = checkResource(req.type_name);
      if (refused) return { diagnostics: refused };
      const r = applyChange(fromDynamic(req.planned_state));
      return { new_state: toDynamic(r.value), private: req.planned_private, diagnostics: r.diagnostics };
    }),

    ImportResourceState: unary('ImportResourceState', (req: ImportResourceStateRequest) => {
      const refused = checkResource(req.type_name);
      if (refused) return { diagnostics: refused };
      return {
        imported_resources: [{ type_name: NULL_RESOURCE, state: toDynamic(importState(req.id)) }],
        diagnostics: [],
      };
    }),

    MoveResourceState: unary('MoveResourceState', (req: MoveResourceStateRequest) => ({
      diagnostics: [
        error(
          'Moving resource state is not supported by the null provider test double',
          `Cannot move ${req.source_type_name} to ${req.target_type_name}.`,
        ),
      ],
    })),
  };
}
