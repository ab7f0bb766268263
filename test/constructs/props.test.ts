/** The construct props are the spec schema minus `kind`, read-only: checked by the type checker. */
import { describe, expectTypeOf, it } from 'vitest';
import type {
  AsyncStandbyProps,
  DeepReadonly,
  ReadWriteClusterProps,
  RealtimePairProps,
  SyncStandbyProps,
} from '../../constructs';
import type {
  AsyncStandbySpec,
  ReadWriteClusterSpec,
  RealtimePairSpec,
  SyncStandbySpec,
} from '../../lib/spec/schema';

type SpecProps<S> = DeepReadonly<Omit<S, 'kind'>>;
type ConstructOnly<P> = Omit<P, 'dmdeploy'>;

describe('construct props', () => {
  it('equal the schema types without kind (plus the construct-only dmdeploy)', () => {
    expectTypeOf<ConstructOnly<RealtimePairProps>>().toEqualTypeOf<SpecProps<RealtimePairSpec>>();
    expectTypeOf<ConstructOnly<ReadWriteClusterProps>>().toEqualTypeOf<SpecProps<ReadWriteClusterSpec>>();
    expectTypeOf<AsyncStandbyProps>().toEqualTypeOf<DeepReadonly<AsyncStandbySpec>>();
    expectTypeOf<SyncStandbyProps>().toEqualTypeOf<DeepReadonly<SyncStandbySpec>>();
    expectTypeOf<RealtimePairProps['dmdeploy']>().toEqualTypeOf<string | undefined>();
  });

  it('accept a spec as written (a YAML file or an object literal)', () => {
    expectTypeOf<Omit<RealtimePairSpec, 'kind'>>().toExtend<RealtimePairProps>();
    expectTypeOf<Omit<ReadWriteClusterSpec, 'kind'>>().toExtend<ReadWriteClusterProps>();
  });
});
