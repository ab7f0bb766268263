/** dmmpp.ini (7.4.3.4): rendered once, converted to dmmpp.ctl with dmctlcvt TYPE=2 and copied to every MPP instance. */
import type { ClusterModel } from '../spec/model';
import type { IniDoc } from './ini';

export function renderDmMpp(model: ClusterModel): IniDoc {
  const nodes = [...model.groups].sort((a, b) => (a.mppSeqNo ?? 0) - (b.mppSeqNo ?? 0));
  return {
    globals: [],
    sections: nodes.map((g, n) => ({
      name: `SERVICE_NAME${n + 1}`,
      entries: [
        ['MPP_SEQ_NO', g.mppSeqNo ?? n],
        ['MPP_INST_NAME', g.databases[0]?.id ?? ''],
      ],
    })),
  };
}
