/**
 * The cluster spec: the union of every family's kinds (lib/families), discriminated by `kind`.
 * Each family's own schema lives in its folder; the parts they share are in ./parts.
 */
import { z } from 'zod';
import { DATA_GUARD_SCHEMAS } from '../families/data-guard/schema';
import { DpcClusterSchema } from '../families/dpc/schema';

export * from './parts';

export const ClusterSpecSchema = z.discriminatedUnion('kind', [...DATA_GUARD_SCHEMAS, DpcClusterSchema]);

export type ClusterSpec = z.input<typeof ClusterSpecSchema>;
export type ClusterKind = ClusterSpec['kind'];
