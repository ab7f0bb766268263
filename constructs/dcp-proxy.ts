/**
 * A DCP cluster proxy in front of an MppGroup's EPs (seed 001): an ordinary dmserver with
 * ENABLE_DCP_MODE = 1 on a host of its own. It attaches to an MppGroup the way AsyncStandby
 * attaches to a pair: appended to the group's `dcp.proxies` (after the inline ones).
 */
import { Construct } from 'constructs';
import type { DcpProxySpec } from '../lib/families/data-guard/dcp/schema';
import type { MppGroup } from './mpp-group';
import type { DeepReadonly } from './props';

/** Props of a DCP proxy: one entry of the MppGroup spec's `dcp.proxies`. */
export type DcpProxyProps = DeepReadonly<DcpProxySpec>;

/**
 * Adds a DCP proxy to an MppGroup; validated with the whole spec at synthesis (the service name,
 * login and pool size are the group's `dcp` fields). Findings about it name its construct path.
 *
 * @example
 * new DcpProxy(mpp, 'DCP1', { name: 'DCP1', host: 'D', port: 5238, dcpPort: 5239 });
 */
export class DcpProxy extends Construct {
  readonly instanceName: string;

  constructor(mpp: MppGroup, id: string, props: DcpProxyProps) {
    super(mpp, id);
    const snapshot = structuredClone(props);
    this.instanceName = snapshot.name;
    mpp._attach({ kind: 'dcp', node: this, props: snapshot });
  }
}
