// lib/steps: one module per step kind (probe -> act -> verify), the runner, and live status.
export { runStep, hostsOf, type StepOutcome } from './run';
export { StepError } from './error';
export type { StepContext } from './context';
export { collectStatus, judge, type ClusterStatus, type DatabaseStatus } from './status';
export {
  readSecrets,
  givenSecrets,
  describeSource,
  valueOf,
  type Secrets,
  type SecretValue,
} from './secrets';
