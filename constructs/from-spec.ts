/** A cluster construct from a whole spec (a YAML file's contents): kind -> construct. */
import type { Construct } from 'constructs';
import type { ClusterSpec } from '../lib/spec/schema';
import type { DmCluster } from './cluster';
import { RealtimePair } from './realtime-pair';
import { ReadWriteCluster } from './read-write-cluster';

/** The spec minus `kind`: the construct's props. */
function withoutKind<T extends { kind: string }>(spec: T): Omit<T, 'kind'> {
  return Object.fromEntries(Object.entries(spec).filter(([k]) => k !== 'kind')) as Omit<T, 'kind'>;
}

/**
 * The construct for `spec.kind`, with the rest of the spec as props (inline async and sync
 * standbys stay inline). MppGroup and DscPrimary have no construct yet: their deploy steps are
 * not built, so asking for one throws rather than synthesizing a stack that deploys nothing.
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
    default:
      throw new Error(
        `${spec.kind}: deploying MPP and DMDSC clusters is not built yet (dmdeploy validate and render work on them); ` +
          'RealtimePair and ReadWriteCluster, with async and sync standbys, can be deployed',
      );
  }
}
