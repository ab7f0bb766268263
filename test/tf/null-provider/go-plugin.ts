/**
 * The services a hashicorp/go-plugin client expects beside the plugin's own: GRPCController
 * (Shutdown), GRPCStdio (StreamStdio: held open, nothing is forwarded), GRPCBroker (StartStream:
 * held open, no sub-connections are ever brokered) and grpc.health.v1.Health (SERVING for "plugin").
 */
import {
  type ServerDuplexStream,
  type ServerWritableStream,
  type UntypedServiceImplementation,
  status,
} from '@grpc/grpc-js';

/** The name go-plugin's Ping asks the health service about. */
export const GO_PLUGIN_SERVICE = 'plugin';

/** Open streams, ended on shutdown so the server can close promptly. */
export class OpenStreams {
  private readonly streams = new Set<{ end(): void }>();

  hold(stream: { end(): void; on(event: 'cancelled' | 'error', cb: () => void): unknown }): void {
    this.streams.add(stream);
    const drop = () => this.streams.delete(stream);
    stream.on('cancelled', drop);
    stream.on('error', drop);
  }

  endAll(): void {
    for (const s of this.streams) {
      try {
        s.end();
      } catch {
        // already closed
      }
    }
    this.streams.clear();
  }
}

export function controllerService(onShutdown: () => void): UntypedServiceImplementation {
  return {
    Shutdown: (_call: unknown, callback: (err: null, res: object) => void) => {
      callback(null, {});
      onShutdown();
    },
  };
}

export function stdioService(open: OpenStreams): UntypedServiceImplementation {
  return {
    StreamStdio: (call: ServerWritableStream<object, object>) => open.hold(call),
  };
}

export function brokerService(open: OpenStreams): UntypedServiceImplementation {
  return {
    StartStream: (call: ServerDuplexStream<object, object>) => {
      call.on('data', () => undefined); // nothing to broker: drain and ignore
      open.hold(call);
    },
  };
}

export function healthService(): UntypedServiceImplementation {
  return {
    Check: (
      call: { request: { service: string } },
      callback: (err: { code: number; details: string } | null, res?: { status: string }) => void,
    ) => {
      const { service } = call.request;
      if (service === '' || service === GO_PLUGIN_SERVICE) callback(null, { status: 'SERVING' });
      else callback({ code: status.NOT_FOUND, details: `unknown service ${service}` });
    },
  };
}
