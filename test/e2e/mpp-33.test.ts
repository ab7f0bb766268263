// MppGroup 3 groups x (1+2), cross placement end to end (the checks are in mpp-dsc-cases.ts).
import { describeMppDsc } from './mpp-dsc-cases';

describeMppDsc('mpp33');
