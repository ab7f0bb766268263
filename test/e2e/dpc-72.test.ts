// 003 7.2 end to end (the checks are in dpc-cases.ts).
import { describeDpc } from './dpc-cases';

describeDpc({
  id: 'e2edpc72',
  redeploy: true,
  title: '003 7.2: two BP RAFT groups of three across three hosts (1 SP, 1 MP)',
  example: '7.2-dpc-bp-raft.yaml',
  hosts: ['DPC_A', 'DPC_B', 'DPC_C'],
  place: {
    SP1: 'DPC_A',
    MP: 'DPC_A',
    BP11: 'DPC_A',
    BP21: 'DPC_A',
    BP12: 'DPC_B',
    BP22: 'DPC_B',
    BP13: 'DPC_C',
    BP23: 'DPC_C',
  },
});
