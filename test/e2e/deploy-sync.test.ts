// RealtimePair + sync standby (7.7) as terraform_data end to end (the checks are in deploy-cases.ts).
import { describeDeploy } from './deploy-cases';

describeDeploy('sync');
