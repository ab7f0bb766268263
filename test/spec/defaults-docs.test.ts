/**
 * The spec's defaults live in lib/spec/defaults.ts; the schemas' and construct props' `@default`
 * notes restate them for the reader (and the generated docs). Each note here must say what the
 * resolvers apply, so a changed default cannot leave its documentation behind.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../lib/spec/defaults';

const root = path.join(__dirname, '../..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');

/** [file, the doc's text before `@default`, the DEFAULTS key it restates] */
const NOTES: [string, string, keyof typeof DEFAULTS][] = [
  ['lib/families/data-guard/schema.ts', 'dminit DB_NAME.', 'dbName'],
  ['lib/families/data-guard/schema.ts', 'DW_ERROR_TIME.', 'dwErrorTime'],
  ['lib/families/data-guard/schema.ts', 'INST_RECOVER_TIME.', 'instRecoverTime'],
  ['lib/families/data-guard/schema.ts', 'INST_ERROR_TIME.', 'instErrorTime'],
  ['lib/families/data-guard/schema.ts', 'MON_LOG_INTERVAL.', 'monLogInterval'],
  ['lib/families/data-guard/schema.ts', 'MON_LOG_FILE_SIZE in MB.', 'monLogFileSize'],
  ['lib/families/data-guard/schema.ts', 'MON_LOG_SPACE_LIMIT in MB.', 'monLogSpaceLimit'],
  ['lib/families/data-guard/schema.ts', 'MON_HB_INTERVAL (s).', 'monHbInterval'],
  ['lib/families/data-guard/schema.ts', 'MON_BRO_INTERVAL (ms).', 'monBroInterval'],
  ['lib/families/data-guard/schema.ts', 'MON_VOTE_INTERVAL (ms).', 'monVoteInterval'],
  ['lib/families/data-guard/schema.ts', 'MON_PORT.', 'monPortBase'],
  ['lib/families/data-guard/schema.ts', 'MAL_CHECK_INTERVAL.', 'malCheckInterval'],
  ['lib/families/data-guard/schema.ts', 'MAL_CONN_FAIL_INTERVAL.', 'malConnFailInterval'],
  ['lib/families/data-guard/schema.ts', 'DMDCR_DB_RESTART_INTERVAL in seconds.', 'dmcssRestartInterval'],
  [
    'lib/families/data-guard/schema.ts',
    "ARCH_RECOVER_TIME: the sync standby's asynchronous recovery interval (7.7.3.3).",
    'syncRecoverTime',
  ],
  ['lib/families/data-guard/schema.ts', 'DM install directory; tools in <dmHome>/bin.', 'dmHome'],
  [
    'lib/families/data-guard/schema.ts',
    'built-in `terraform_data` (Terraform >= 1.4), which needs no provider download.',
    'stepResource',
  ],
  [
    'lib/spec/parts.ts',
    'OS user that runs dmserver, dmwatcher and dmmonitor (chapter 7 intro: one user for all).',
    'sshUser',
  ],
  ['lib/spec/parts.ts', 'ARCH_FILE_SIZE of local archives (MB).', 'archFileSize'],
  ['lib/spec/parts.ts', 'ARCH_SPACE_LIMIT of local archives (MB, 0 = none).', 'archSpaceLimit'],
  ['lib/spec/parts.ts', "SYSDBA's password (dminit, disql, dmrman).", 'sysdbaPasswordEnv'],
  ['lib/spec/parts.ts', "The SSH private key's passphrase.", 'sshPassphraseEnv'],
  ['lib/families/dpc/schema.ts', 'DM install directory; tools in <dmHome>/bin.', 'dmHome'],
  ['lib/families/dpc/schema.ts', 'XMAL_HB_INTERVAL of every RAFT member.', 'dpcXmalHbInterval'],
  ['lib/families/dpc/schema.ts', 'RAFT_HB_INTERVAL of every RAFT member.', 'dpcRaftHbInterval'],
];

/** The first word of the `@default` note that follows `before` (a value, or `{ env: NAME }`'s NAME). */
function documented(text: string, before: string): string | undefined {
  const at = text.indexOf(before);
  if (at < 0) return undefined;
  const m = /@default\s+(?:\{\s*env:\s*)?([^\s,}*]+)/.exec(
    text.slice(at + before.length, at + before.length + 200),
  );
  return m?.[1];
}

describe('documented defaults are the applied ones', () => {
  it.each(NOTES)('%s: "%s" names DEFAULTS.%s', (file, before, key) => {
    const doc = documented(read(file), before);
    expect(doc, `no @default note after "${before}" in ${file}`).toBeDefined();
    expect(doc).toBe(String(DEFAULTS[key]));
  });

  it('the construct props document the same top-level defaults', () => {
    const props = read('constructs/props.ts');
    expect(documented(props, 'the tools are in `<dmHome>/bin`.')).toBe(DEFAULTS.dmHome);
    expect(props).toMatch(new RegExp(`@default user ${DEFAULTS.sshUser}, port ${DEFAULTS.sshPort}\\b`));
    expect(props).toMatch(
      new RegExp(
        `@default environment variables ${DEFAULTS.sysdbaPasswordEnv} and ${DEFAULTS.sshPassphraseEnv}\\b`,
      ),
    );
    expect(documented(props, 'which needs no provider download.')).toBe(DEFAULTS.stepResource);
  });
});
