/**
 * The Terraform side of a spec: where the steps read their secrets (DESIGN §5: secrets never
 * pass through Terraform) and what resource each step becomes. Not DM8 rules: these keep a
 * secret out of Terraform and out of other users' reach, and a deployed stack's steps in place.
 */
import type { SecretSource } from '../../spec/schema';
import type { SharedModel } from '../../spec/resolve-shared';
import { defineRule, type Rule } from '../rule';

/** What these rules read: the parts of a spec and model every cluster family has. */
export interface SharedRuleContext {
  spec: { secrets?: { sysdbaPassword?: SecretSource; sshPassphrase?: SecretSource } };
  model: Pick<SharedModel, 'stepResource' | 'moveStepsFrom'>;
}

const sources = (spec: { secrets?: { sysdbaPassword?: SecretSource; sshPassphrase?: SecretSource } }) =>
  (['sysdbaPassword', 'sshPassphrase'] as const).flatMap((k) => {
    const s = spec.secrets?.[k];
    return s ? [{ path: `secrets.${k}`, source: s }] : [];
  });

/** Every family runs these (lib/families). */
export const terraformRules: readonly Rule<SharedRuleContext>[] = [
  defineRule<SharedRuleContext>({
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
  defineRule<SharedRuleContext>({
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
  defineRule<SharedRuleContext>({
    code: 'STEP_MOVE_SAME_TYPE',
    severity: 'error',
    manual: 'DESIGN §5 (step resources)',
    rule: 'moveStepsFrom names the type the deployed steps have now, which differs from stepResource (only null_resource -> terraform_data).',
    check({ model }, report) {
      if (model.moveStepsFrom && model.moveStepsFrom === model.stepResource)
        report(
          'moveStepsFrom',
          `the steps are already ${model.stepResource}; there is nothing to move`,
          'set stepResource: terraform_data to move the steps, or remove moveStepsFrom',
        );
    },
  }),
];
