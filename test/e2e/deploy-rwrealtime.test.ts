// ReadWriteCluster 1+2 REALTIME (7.3) end to end (the checks are in deploy-cases.ts).
import { describeDeploy } from './deploy-cases';

describeDeploy('rwrealtime');
