// RealtimePair + async standby + cascaded async standby (7.6) end to end (the checks are in deploy-cases.ts).
import { describeDeploy } from './deploy-cases';

describeDeploy('async');
