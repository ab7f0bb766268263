// RealtimePair 1+1 (7.2) end to end (the checks are in deploy-cases.ts).
import { describeDeploy } from './deploy-cases';

describeDeploy('rt11');
