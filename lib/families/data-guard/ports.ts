/**
 * Port allocation per host. Explicit ports are reserved first; every omitted port gets the
 * lowest free port at or above its base, so allocated ports never collide with each other or
 * with explicit ones. Collisions between explicit ports are left for validation to report.
 */
import type { InstanceModel, PortField } from './model';

/** Bases from the manual's MPP plan (table 7.6): PORT_NUM 5236, MAL_INST_DW_PORT 5243, MAL_PORT 5337, MAL_DW_PORT 5253. */
export const PORT_BASE: Readonly<Record<PortField, number>> = {
  port: 5236,
  instDwPort: 5243,
  malPort: 5337,
  malDwPort: 5253,
};
export const MONITOR_PORT_BASE = 8339; // manual 7.2.5.2: MON_PORT = 8339, 8340, 8341

export const PORT_FIELDS: readonly PortField[] = ['port', 'malPort', 'malDwPort', 'instDwPort'];

export interface PendingInstance {
  instance: InstanceModel;
  requested: Partial<Record<PortField, number>>;
}

export function allocatePorts(
  pending: readonly PendingInstance[],
  monitors: readonly { host: string; port: number }[],
): void {
  const used = new Map<string, Set<number>>();
  const usedOn = (host: string) => {
    let s = used.get(host);
    if (!s) used.set(host, (s = new Set()));
    return s;
  };
  for (const { instance, requested } of pending) {
    const explicit = new Set<PortField>();
    for (const f of PORT_FIELDS) {
      const v = requested[f];
      if (v !== undefined) {
        instance[f] = v;
        explicit.add(f);
        usedOn(instance.host).add(v);
      }
    }
    instance.explicitPorts = explicit;
  }
  for (const m of monitors) if (m.port) usedOn(m.host).add(m.port);

  const seenOnHost = new Map<string, number>();
  for (const { instance } of pending) {
    const k = seenOnHost.get(instance.host) ?? 0;
    seenOnHost.set(instance.host, k + 1);
    const taken = usedOn(instance.host);
    for (const f of PORT_FIELDS) {
      if (instance.explicitPorts.has(f)) continue;
      let candidate = PORT_BASE[f] + k;
      while (taken.has(candidate)) candidate++;
      instance[f] = candidate;
      taken.add(candidate);
    }
  }
  monitors.forEach((m, i) => {
    if (m.port) return;
    const taken = usedOn(m.host);
    let candidate = MONITOR_PORT_BASE + i;
    while (taken.has(candidate)) candidate++;
    m.port = candidate;
    taken.add(candidate);
  });
}
