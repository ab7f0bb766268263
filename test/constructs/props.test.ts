/** The construct props are the spec schema minus `kind`, read-only: checked by the type checker. */
import { describe, expectTypeOf, it } from 'vitest';
import type {
  AsyncStandbyProps,
  DeepReadonly,
  DscPrimaryProps,
  MppGroupProps,
  MppNodeGroupProps,
  ReadWriteClusterProps,
  RealtimePairProps,
  SyncStandbyProps,
} from '../../constructs';
import type {
  AsyncStandbySpec,
  DscPrimarySpec,
  MppGroupSpec,
  MppNodeGroupSpec,
  ReadWriteClusterSpec,
  RealtimePairSpec,
  SyncStandbySpec,
} from '../../lib/families/data-guard/schema';

type SpecProps<S> = DeepReadonly<Omit<S, 'kind'>>;
type ConstructOnly<P> = Omit<P, 'dmdeploy'>;

describe('construct props', () => {
  it('equal the schema types without kind (plus the construct-only dmdeploy)', () => {
    expectTypeOf<ConstructOnly<RealtimePairProps>>().toEqualTypeOf<SpecProps<RealtimePairSpec>>();
    expectTypeOf<ConstructOnly<ReadWriteClusterProps>>().toEqualTypeOf<SpecProps<ReadWriteClusterSpec>>();
    expectTypeOf<ConstructOnly<DscPrimaryProps>>().toEqualTypeOf<SpecProps<DscPrimarySpec>>();
    expectTypeOf<ConstructOnly<MppGroupProps>>().toEqualTypeOf<SpecProps<MppGroupSpec>>();
    expectTypeOf<MppNodeGroupProps>().toEqualTypeOf<DeepReadonly<MppNodeGroupSpec>>();
    expectTypeOf<AsyncStandbyProps>().toEqualTypeOf<DeepReadonly<AsyncStandbySpec>>();
    expectTypeOf<SyncStandbyProps>().toEqualTypeOf<DeepReadonly<SyncStandbySpec>>();
    expectTypeOf<RealtimePairProps['dmdeploy']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<MppGroupProps['dmdeploy']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<DscPrimaryProps['dmdeploy']>().toEqualTypeOf<string | undefined>();
  });

  it('accept a spec as written (a YAML file or an object literal)', () => {
    expectTypeOf<Omit<RealtimePairSpec, 'kind'>>().toExtend<RealtimePairProps>();
    expectTypeOf<Omit<ReadWriteClusterSpec, 'kind'>>().toExtend<ReadWriteClusterProps>();
    expectTypeOf<Omit<DscPrimarySpec, 'kind'>>().toExtend<DscPrimaryProps>();
    expectTypeOf<Omit<MppGroupSpec, 'kind'>>().toExtend<MppGroupProps>();
  });
});
