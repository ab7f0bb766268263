/**
 * Every default of the spec in one place: the manual's layout and values. The schema's
 * `@default` notes and the construct props' docs name these; the resolvers apply them.
 */
export const DEFAULTS = {
  dmHome: '/dm',
  dbName: 'DAMENG',
  sshUser: 'dmdba',
  sshPort: 22,
  // manual 7.2.3.4: the watcher values of every worked example
  dwErrorTime: 10,
  instRecoverTime: 60,
  instErrorTime: 10,
  // manual 7.2.3.2: MAL_CHECK_INTERVAL = 5, MAL_CONN_FAIL_INTERVAL = 5
  malCheckInterval: 5,
  malConnFailInterval: 5,
  // manual 7.1: ARCH_FILE_SIZE = 128, ARCH_SPACE_LIMIT = 0
  archFileSize: 128,
  archSpaceLimit: 0,
  // manual 7.2.5.1
  monLogInterval: 60,
  monLogFileSize: 32,
  monLogSpaceLimit: 0,
  // manual 7.2.5.2
  monHbInterval: 60,
  monBroInterval: 100,
  monVoteInterval: 100,
  monPortBase: 8339,
  // manual 7.7.3.3
  syncRecoverTime: 1,
  // manual 7.5.10
  dmcssRestartInterval: 60,
  // secrets are read by each step process from its environment (local-exec inherits it)
  sysdbaPasswordEnv: 'DM_SYSDBA_PASSWORD',
  sshPassphraseEnv: 'DM_SSH_PASSPHRASE',
  stepResource: 'null_resource',
  // 003 7.2.7.3: XMAL_HB_INTERVAL = 5, RAFT_HB_INTERVAL = 150 on every RAFT member
  dpcXmalHbInterval: 5,
  dpcRaftHbInterval: 150,
} as const;
