/**
 * The executor's own state file (not Terraform's format, and refused if it finds Terraform's):
 * each resource's id, triggers after interpolation, recorded dependencies and taint, plus the
 * outputs. Written atomically (temp file + rename) so a crash at any moment leaves the previous
 * or the next consistent state, never half of one.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export const STATE_FORMAT = 'dm-cdktf-test-executor/1';

export interface ResourceState {
  id: string;
  triggers: Record<string, string>;
  dependencies: string[];
  tainted: boolean;
}

export type OutputState = { value: unknown } | { sensitive: true } | { unknown: string };

export interface State {
  format: typeof STATE_FORMAT;
  serial: number;
  resources: Record<string, ResourceState>;
  outputs: Record<string, OutputState>;
}

export function readState(file: string): State {
  if (!existsSync(file)) return { format: STATE_FORMAT, serial: 0, resources: {}, outputs: {} };
  const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<State>;
  if (s.format !== STATE_FORMAT)
    throw new Error(`${file} is not a state file of the test executor (format ${JSON.stringify(s.format)})`);
  return s as State;
}

let tempSeq = 0;

/** Bump the serial and replace `file` atomically. */
export function writeState(file: string, state: State): void {
  state.serial++;
  const tmp = `${file}.${process.pid}.${tempSeq++}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}
