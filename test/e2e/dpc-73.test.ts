// 003 7.3 end to end (the checks are in dpc-cases.ts).
import { describeDpc } from './dpc-cases';

describeDpc({
  id: 'e2edpc73',
  title: '003 7.3: an MP RAFT group of three across three hosts (1 SP, 1 BP)',
  example: '7.3-dpc-mp-raft.yaml',
  hosts: ['DPC_A', 'DPC_B', 'DPC_C'],
  place: { MP1: 'DPC_A', SP1: 'DPC_A', MP2: 'DPC_B', BP1: 'DPC_B', MP3: 'DPC_C' },
});
