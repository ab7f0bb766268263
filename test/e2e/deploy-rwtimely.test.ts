// ReadWriteCluster 1+2 TIMELY (7.3) end to end (the checks are in deploy-cases.ts).
import { describeDeploy } from './deploy-cases';

describeDeploy('rwtimely');
