/** A DMDPC distributed cluster (manual 003 chapter 7): MP, BP RAFT groups, SPs. */
import type { Construct } from 'constructs';
import type { DpcModel } from '../lib/families/dpc/model';
import type { DpcClusterSpec } from '../lib/families/dpc/schema';
import { DmCluster, type ClusterOutput } from './cluster';
import type { ClusterCommonProps, DeepReadonly } from './props';

/**
 * Props of a DpcCluster: the `DpcCluster` spec of lib/families/dpc/schema.ts without `kind`
 * (its doc comments give every default).
 */
export type DpcClusterProps = DeepReadonly<Omit<DpcClusterSpec, 'kind'>> & {
  /** The dmdeploy command the provisioners run. @default the stack's step bundle */
  readonly dmdeploy?: string;
};

/**
 * A DMDPC system deployed step by step as in 003 7.1: dminit with DPC_MODE, mp.ini on every
 * node, the MP started and everything registered on it, then the SPs and BPs. Clients connect to
 * the SPs only (003 7.1.7): the outputs name them.
 *
 * @example
 * new DpcCluster(stack, 'DPC1', { name: 'DPC1', hosts, mp: { replicas: [{ name: 'MP', host: 'H1' }] },
 *   bp: [{ replicas: [{ name: 'BP1', host: 'H1' }] }], sp: [{ name: 'SP1', host: 'H1' }] });
 */
export class DpcCluster extends DmCluster<DpcModel> {
  constructor(scope: Construct, id: string, props: DpcClusterProps) {
    // the base reads `hosts`, `name` and `dmdeploy` alone; the spec is the props plus `kind`
    super(scope, id, 'DpcCluster', props as unknown as ClusterCommonProps);
  }

  protected override extraOutputs(model: DpcModel): ClusterOutput[] {
    return [
      {
        name: 'sp_connections',
        value: Object.fromEntries(
          model.spRafts
            .flatMap((r) => r.members)
            .map((n) => [n.name, `${model.hosts[n.host]?.public ?? n.host}:${n.port}`]),
        ),
        description: 'each SP: instance -> host:PORT_NUM; clients connect to SPs only (003 7.1.7)',
      },
    ];
  }
}
