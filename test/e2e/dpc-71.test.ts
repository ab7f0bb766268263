// 003 7.1 end to end (the checks are in dpc-cases.ts).
import { describeDpc } from './dpc-cases';

describeDpc({
  id: 'e2edpc71',
  title: '003 7.1: a single-replica DpcCluster (1 SP, 2 BP, 1 MP; two instances per host)',
  example: '7.1-dpc-single-replica.yaml',
  hosts: ['DPC_A', 'DPC_B'],
  place: { MP: 'DPC_A', SP1: 'DPC_A', BP1: 'DPC_B', BP2: 'DPC_B' },
});
