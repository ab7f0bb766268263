/** The data-guard family's rules, in the order docs/validation.md lists them. */
import type { Rule } from '../../../validate/rule';
import { nameRules } from './names';
import { portRules } from './ports';
import { topologyRules } from './topology';
import { guardRules } from './guard';
import { settingRules } from './settings';
import { pathRules } from './paths';
import { dcpRules } from '../dcp/rules';
import { terraformRules } from '../../../validate/rules/terraform';

export const RULES: readonly Rule[] = [
  ...nameRules,
  ...portRules,
  ...topologyRules,
  ...guardRules,
  ...settingRules,
  ...pathRules,
  ...dcpRules,
  ...terraformRules,
];
