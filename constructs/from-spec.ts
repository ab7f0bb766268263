/** A cluster construct from a whole spec (a YAML file's contents): kind -> construct. */
import type { Construct } from 'constructs';
import type { ClusterSpec } from '../lib/spec/schema';
import type { DmCluster } from './cluster';
import { DscPrimary } from './dsc-primary';
import { DpcCluster } from './dpc-cluster';
import { MppGroup } from './mpp-group';
import { RealtimePair } from './realtime-pair';
import { ReadWriteCluster } from './read-write-cluster';

/** The spec minus `kind`: the construct's props. */
function withoutKind<T extends { kind: string }>(spec: T): Omit<T, 'kind'> {
  return Object.fromEntries(Object.entries(spec).filter(([k]) => k !== 'kind')) as Omit<T, 'kind'>;
}

/**
 * The construct for `spec.kind`, with the rest of the spec as props (inline async and sync
 * standbys stay inline, in an MppGroup inside their node's group).
 */
export function clusterFromSpec(
  scope: Construct,
  id: string,
  spec: ClusterSpec,
  dmdeploy?: string,
): DmCluster {
  const extra = dmdeploy === undefined ? {} : { dmdeploy };
  switch (spec.kind) {
    case 'RealtimePair':
      return new RealtimePair(scope, id, { ...withoutKind(spec), ...extra });
    case 'ReadWriteCluster':
      return new ReadWriteCluster(scope, id, { ...withoutKind(spec), ...extra });
    case 'DscPrimary':
      return new DscPrimary(scope, id, { ...withoutKind(spec), ...extra });
    case 'MppGroup':
      return new MppGroup(scope, id, { ...withoutKind(spec), ...extra });
    case 'DpcCluster':
      return new DpcCluster(scope, id, { ...withoutKind(spec), ...extra });
    default: {
      const unknown: never = spec;
      throw new Error(`unknown cluster kind ${(unknown as { kind: string }).kind}`);
    }
  }
}
