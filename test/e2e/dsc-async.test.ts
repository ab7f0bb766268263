// DscPrimary + 1 standby + an async standby fed by the DSC primary (7.5.1, 7.6) end to end (the checks are in mpp-dsc-cases.ts).
import { describeMppDsc } from './mpp-dsc-cases';

describeMppDsc('dscas');
