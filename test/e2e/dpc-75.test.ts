// 003 7.5 end to end (the checks are in dpc-cases.ts).
import { describeDpc } from './dpc-cases';

describeDpc({
  id: 'e2edpc75',
  title: '003 7.5: a BP RAFT group of three with a shadow replica (RESTORE ... TO SHADOW)',
  example: '7.5-dpc-shadow.yaml',
  hosts: ['DPC_A', 'DPC_B', 'DPC_C'],
  place: { SP1: 'DPC_A', MP: 'DPC_A', BP11: 'DPC_A', BP12: 'DPC_B', BP13: 'DPC_C' },
});
