/** dmmpp.ini (7.4.3.4): rendered once, converted to dmmpp.ctl with dmctlcvt TYPE=2 and copied to every MPP instance. */
import type { MppClusterModel } from '../model';
import type { IniDoc } from '../../../render/ini';

export function renderDmMpp(model: MppClusterModel): IniDoc {
  const nodes = [...model.groups].sort((a, b) => a.mppSeqNo - b.mppSeqNo);
  return {
    globals: [],
    sections: nodes.map((g, n) => ({
      name: `SERVICE_NAME${n + 1}`,
      entries: [
        ['MPP_SEQ_NO', g.mppSeqNo],
        ['MPP_INST_NAME', g.databases[0]?.id ?? ''],
      ],
    })),
  };
}
