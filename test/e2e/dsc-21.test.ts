// DscPrimary 2 DSC nodes + 1 standby (7.5) end to end (the checks are in mpp-dsc-cases.ts).
import { describeMppDsc } from './mpp-dsc-cases';

describeMppDsc('dsc21');
