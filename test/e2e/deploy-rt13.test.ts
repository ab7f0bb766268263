// RealtimePair 1+3 end to end (the checks are in deploy-cases.ts).
import { describeDeploy } from './deploy-cases';

describeDeploy('rt13');
