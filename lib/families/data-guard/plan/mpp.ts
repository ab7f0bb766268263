/** The MPP layer of a plan (7.4): the one dmmpp.ctl every MPP instance reads. */
import path from 'node:path/posix';
import type { RenderedFile } from '../../../render';
import { fileOf, mppInstances, type PlanBuilder } from './parts';

/**
 * 7.4.3.4: dmmpp.ini written once, converted by dmctlcvt TYPE=2 into dmmpp.ctl, and that one file
 * copied to every MPP instance (7.4.4.4, 7.4.5.4), once every database exists (`b.mppAfter`).
 */
export function planMppCtl(b: PlanBuilder, mppFile: RenderedFile, mppCtlId: string): string {
  const { model, add, mppAfter } = b;

  const owner = model.groups
    .flatMap((g) => g.databases)
    .flatMap((d) => d.instances)
    .find((i) => i.name === mppFile.instance);
  const ctlPath = path.join(path.dirname(mppFile.path), 'dmmpp.ctl');
  return add({
    id: mppCtlId,
    phase: 'mpp-ctl',
    host: mppFile.host,
    title: `write ${mppFile.path}, dmctlcvt TYPE=2 to dmmpp.ctl, copy it to every MPP instance`,
    manual: '7.4.3.4, 7.4.4.4, 7.4.5.4',
    after: [...mppAfter],
    params: {
      kind: 'mpp-ctl',
      files: [fileOf(mppFile)],
      ctlPath,
      targets: mppInstances(model)
        .filter((i) => i !== owner)
        .map((i) => ({ host: i.host, path: path.join(i.configPath, 'dmmpp.ctl') })),
    },
  });
}
