/**
 * gRPC service definitions for @grpc/grpc-js from a protobuf descriptor (JSON) that install.ts
 * makes from proto/*.proto at build time, so that a start parses no .proto file and loads only
 * protobufjs/light. Messages are presented as types.ts declares: snake_case fields, enums as
 * strings, bytes as Buffer, int64 as number, unset message fields as null.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { type INamespace, Root, type Type } from 'protobufjs/light';

export const PROTO_FILES = [
  'tfplugin6.8.proto',
  'grpc_controller.proto',
  'grpc_stdio.proto',
  'grpc_broker.proto',
  'health.proto',
] as const;

/** The services this plugin serves, by fully qualified name. */
export const SERVICE_NAMES = {
  provider: 'tfplugin6.Provider',
  controller: 'plugin.GRPCController',
  stdio: 'plugin.GRPCStdio',
  broker: 'plugin.GRPCBroker',
  health: 'grpc.health.v1.Health',
} as const;

export type Services = Record<keyof typeof SERVICE_NAMES, ServiceDefinition>;

const TO_OBJECT = { longs: Number, enums: String, bytes: Buffer, defaults: true, oneofs: true } as const;

type Message = Record<string, unknown>;

const serialize = (t: Type) => (value: Message) => Buffer.from(t.encode(t.fromObject(value)).finish());
const deserialize = (t: Type) => (bytes: Buffer) => t.toObject(t.decode(bytes), TO_OBJECT);

function service(root: Root, name: string): ServiceDefinition {
  const s = root.lookupService(name);
  const def: Record<string, MethodDefinition<Message, Message>> = {};
  for (const m of s.methodsArray) {
    m.resolve();
    const req = m.resolvedRequestType;
    const res = m.resolvedResponseType;
    if (!req || !res) throw new Error(`${name}.${m.name}: unresolved message types`);
    def[m.name] = {
      path: `/${name}/${m.name}`,
      requestStream: m.requestStream === true,
      responseStream: m.responseStream === true,
      requestSerialize: serialize(req),
      requestDeserialize: deserialize(req),
      responseSerialize: serialize(res),
      responseDeserialize: deserialize(res),
      originalName: m.name,
    };
  }
  return def;
}

export function servicesFromDescriptor(descriptor: INamespace): Services {
  const root = Root.fromJSON(descriptor);
  return {
    provider: service(root, SERVICE_NAMES.provider),
    controller: service(root, SERVICE_NAMES.controller),
    stdio: service(root, SERVICE_NAMES.stdio),
    broker: service(root, SERVICE_NAMES.broker),
    health: service(root, SERVICE_NAMES.health),
  };
}
