// An MP RAFT group with two BP RAFT groups (one with a shadow) and two SPs, ports allocated (the checks are in dpc-cases.ts).
import { describeDpc } from './dpc-cases';

describeDpc({
  id: 'e2edpcmix',
  redeploy: true,
  title: 'DMDPC beyond the examples: MP RAFT × 3, two BP RAFT groups × 3 (one shadow), two SPs',
  example: '../test/fixtures/dpc/mixed.yaml',
  hosts: ['DPC_A', 'DPC_B', 'DPC_C'],
  place: {},
});
