/**
 * Where the steps read their secrets (DESIGN §5: secrets never pass through Terraform). Not a
 * DM8 rule: these keep a secret out of Terraform and out of other users' reach.
 */
import type { SecretSource } from '../../spec/schema';
import { defineRule } from '../rule';

const sources = (spec: { secrets?: { sysdbaPassword?: SecretSource; sshPassphrase?: SecretSource } }) =>
  (['sysdbaPassword', 'sshPassphrase'] as const).flatMap((k) => {
    const s = spec.secrets?.[k];
    return s ? [{ path: `secrets.${k}`, source: s }] : [];
  });

export const secretRules = [
  defineRule({
    code: 'SECRET_ENV_NAME',
    severity: 'error',
    manual: 'DESIGN §5 (secrets)',
    rule: 'A secret read from the environment names a variable a shell can export (letters, digits, _), and not a TF_VAR_ one: those are Terraform variables.',
    check({ spec }, report) {
      for (const { path, source } of sources(spec))
        if ('env' in source) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(source.env))
            report(
              `${path}.env`,
              `"${source.env}" is not an environment variable name`,
              'use letters, digits and _, e.g. DM_SYSDBA_PASSWORD',
            );
          else if (/^TF_VAR_/i.test(source.env))
            report(
              `${path}.env`,
              `${source.env} is how Terraform sets a variable; a secret must not pass through Terraform`,
              'use a name of your own, e.g. DM_SYSDBA_PASSWORD',
            );
        }
    },
  }),
  defineRule({
    code: 'SECRET_FILE_PATH',
    severity: 'error',
    manual: 'DESIGN §5 (secrets)',
    rule: 'A secret read from a file names it by an absolute path (or ~/...), so every step finds the same file wherever Terraform runs it.',
    check({ spec }, report) {
      for (const { path, source } of sources(spec))
        if ('file' in source && !source.file.startsWith('/') && !source.file.startsWith('~/'))
          report(`${path}.file`, `"${source.file}" is a relative path`, 'write the full path from / (or ~/)');
    },
  }),
];
