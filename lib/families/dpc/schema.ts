/**
 * The DpcCluster spec (DMDPC, manual 003 chapter 7): one MP (or an MP RAFT group), BP RAFT
 * groups of one replica (7.1) or several (7.2), SPs, BP groups, optional fault domains. DMDPC has
 * no OGUID, watcher, monitor or dmmal.ini (its nodes talk over AP_PORT_NUM), so none is accepted.
 * Shape only, as the data-guard schema (../data-guard/schema.ts); value rules are in ./rules.ts with codes.
 */
import { z } from 'zod';
import {
  ArchiveSchema,
  DmIniSchema,
  HostSchema,
  int,
  SecretsSchema,
  SshSchema,
  text,
} from '../../spec/parts';

const NodeFields = {
  /** INSTANCE_NAME, registered on the MP under this name (at most 16 characters). */
  name: text(),
  /** Key of the host in `hosts`. */
  host: text(),
  /** dminit's path=; the database lives in <path>/DAMENG (003 7.1.1). @default <dmHome>/data/<name in lower case> */
  path: text().optional(),
  /** dm.ini PORT_NUM: SQL logins (disql, the SP's clients). @default allocated per host from 5236 */
  port: int().optional(),
  /** dm.ini AP_PORT_NUM: the XMAL port, registered as DPC_INSTANCE.XMAL_PORT. @default allocated per host from 6000 */
  apPort: int().optional(),
};

/** A member of a RAFT group (BP or MP); its position is RAFT_SELF_ID and its registration order. */
export const DpcReplicaSchema = z.strictObject({
  ...NodeFields,
  /** RAFT_VOTE_INTERVAL (003 7.2.7.3). @default 1500 + 500 × (position − 1) */
  voteInterval: int().optional(),
  /** A shadow replica (003 7.5): built from the RAFT primary's backup restored TO SHADOW. @default false */
  shadow: z.boolean().optional(),
});

export const DpcMpSchema = DpcReplicaSchema.extend({
  /** mp.ini mp_port: must not collide with any AP_PORT_NUM (003 7.1.2). @default allocated per host from 9000 */
  mpPort: int().optional(),
});

/** One BP RAFT group: one replica (7.1) or an odd number of 3 or more (7.2). */
export const DpcBpRaftSchema = z.strictObject({
  /** SP_CREATE_DPC_RAFT name. @default RAFT_<position from 1> */
  raft: text().optional(),
  /** replicas[0] is the bootstrap member whose backup builds the others (7.2.5). */
  replicas: z.array(DpcReplicaSchema).min(1),
});

export const DpcSpSchema = z.strictObject({
  ...NodeFields,
  /** Its own SP RAFT group. @default RAFT_<name> */
  raft: text().optional(),
});

export const DpcBpGroupSchema = z.strictObject({
  name: text(),
  /** @default "bp group<position from 1>" */
  description: text().optional(),
  /** BP RAFT group names (SP_BP_GROUP_ADD_RAFT). */
  rafts: z.array(text()).min(1),
});

export const DpcFaultDomainSchema = z.strictObject({
  name: text(),
  /** @default the name */
  description: text().optional(),
  /** Instance names moved into it (SP_FAULT_DOMAIN_MV_INST). */
  instances: z.array(text()).min(1),
});

export const DpcClusterSchema = z.strictObject({
  kind: z.literal('DpcCluster'),
  /** Stack and cluster name (required: DMDPC has no group name to default from). */
  name: text(),
  /** DM install directory; tools in <dmHome>/bin. @default /dm */
  dmHome: text().optional(),
  ssh: SshSchema.optional(),
  hosts: z.record(z.string(), HostSchema),
  mp: z.strictObject({
    /** One MP (7.1, 7.2), or an MP RAFT group of 3 or more (7.3). */
    replicas: z.array(DpcMpSchema).min(1),
  }),
  /** One entry per BP RAFT group. */
  bp: z.array(DpcBpRaftSchema),
  sp: z.array(DpcSpSchema),
  /** @default one group BG_1 "bp group1" holding every BP RAFT group (as every example of 003) */
  bpGroups: z.array(DpcBpGroupSchema).optional(),
  /** Optional (003 7.1.4 "可选"). */
  faultDomains: z.array(DpcFaultDomainSchema).optional(),
  raft: z
    .strictObject({
      /** XMAL_HB_INTERVAL of every RAFT member. @default 5 (003 7.2.7.3) */
      xmalHbInterval: int().optional(),
      /** RAFT_HB_INTERVAL of every RAFT member. @default 150 (003 7.2.7.3) */
      hbInterval: int().optional(),
    })
    .optional(),
  /** How shadow replicas are built (7.5.1): `restore` TO SHADOW from a normal backup, or a `backup` FULL SHADOW. @default restore */
  shadowMethod: z.enum(['restore', 'backup']).optional(),
  /** SP_CREATE_DPC_INSTANCE's status argument for SPs: 2 in 7.1/7.2, 1 in 7.3. @default 2 */
  spStatus: z.union([z.literal(1), z.literal(2)]).optional(),
  /** LOCAL archive of RAFT members (ARCH_FILE_SIZE, ARCH_SPACE_LIMIT). */
  archive: ArchiveSchema.optional(),
  /** Extra dm.ini settings applied to every instance. */
  dmIni: DmIniSchema.optional(),
  client: z
    .strictObject({
      /** dm_svc.conf service name over every SP (clients connect to SPs only, 003 7.1.7). @default the cluster name */
      serviceName: text().optional(),
    })
    .optional(),
  /** Delete data directories on destroy. @default false */
  purgeData: z.boolean().optional(),
  /** Where the steps read the SYSDBA password and the SSH key passphrase. */
  secrets: SecretsSchema.optional(),
  /** As for the data-guard kinds. @default null_resource */
  stepResource: z.enum(['null_resource', 'terraform_data']).optional(),
  moveStepsFrom: z.enum(['null_resource']).optional(),
});

export type DpcClusterSpec = z.input<typeof DpcClusterSchema>;
export type DpcReplicaSpec = z.input<typeof DpcReplicaSchema>;
export type DpcMpSpec = z.input<typeof DpcMpSchema>;
export type DpcSpSpec = z.input<typeof DpcSpSchema>;
