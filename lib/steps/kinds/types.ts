/** A step whose params are of one kind. */
import type { Step, StepParams } from '../../plan';

export type StepOf<K extends StepParams['kind']> = Step & { params: Extract<StepParams, { kind: K }> };
