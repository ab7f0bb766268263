// MppGroup 2 groups x (1+1), cross placement (7.4) end to end (the checks are in mpp-dsc-cases.ts).
import { describeMppDsc } from './mpp-dsc-cases';

describeMppDsc('mpp22');
