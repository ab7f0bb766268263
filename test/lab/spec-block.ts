// What `npm run lab -- up` prints for users: the `ssh:` and `hosts:` blocks of a cluster spec that
// point at the lab, and how to deploy a spec there and remove the lab. Pure.

import type { LabDescriptor } from './state';

/** First line of the YAML block (a comment), so readers and tests can find it. */
export const SPEC_BLOCK_HEADER = '# cluster spec blocks for lab';

/** The `ssh:` and `hosts:` blocks, ready to paste into clusters/<cluster>.yaml. Ends at a blank line. */
export function specBlock(d: LabDescriptor): string {
  return [
    `${SPEC_BLOCK_HEADER} ${d.name} (paste into clusters/<cluster>.yaml, hosts named as here)`,
    'ssh:',
    `  user: ${d.user}`,
    `  privateKeyPath: ${d.privateKeyPath}`,
    `  knownHostsPath: ${d.knownHostsPath}`,
    'hosts:',
    ...d.hosts.map(
      (h) => `  ${h.name}: { address: ${h.public}, public: ${h.public}, private: ${h.private} }`,
    ),
    '',
  ].join('\n');
}

/** How to deploy onto the lab and remove it. */
export function labHints(lab: string, dmsim: boolean): string {
  const pw = "DM_SYSDBA_PASSWORD='<password>'";
  return [
    dmsim
      ? `deploy: save a spec with these blocks as clusters/<cluster>.yaml, then ${pw} npx cdktf deploy\n` +
        '        (no provider registry reachable? add stepResource: terraform_data to the spec: it needs no provider)'
      : 'deploy: the hosts have no DM tools in /dm/bin; bring the lab up with --dmsim for the DM8 simulator',
    `remove: ${dmsim ? `${pw} npx cdktf destroy if you deployed, then ` : ''}npm run lab -- down --name ${lab}`,
  ].join('\n');
}
