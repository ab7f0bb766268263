/** dmmal.ini: one file, byte-identical on every instance of the MAL system (7.2.3.2, §5.2). */
import type { ClusterModel } from '../model';
import type { IniDoc } from '../../../render/ini';
import { instancesInMalOrder } from './topology';

export function renderDmMal(model: ClusterModel): IniDoc {
  return {
    globals: [
      ['MAL_CHECK_INTERVAL', model.mal.checkInterval],
      ['MAL_CONN_FAIL_INTERVAL', model.mal.connFailInterval],
    ],
    sections: instancesInMalOrder(model).map(({ inst }, n) => {
      const host = model.hosts[inst.host];
      return {
        name: `MAL_INST${n + 1}`,
        entries: [
          ['MAL_INST_NAME', inst.name],
          ['MAL_HOST', host?.private ?? ''],
          ['MAL_PORT', inst.malPort],
          ['MAL_INST_HOST', host?.public ?? ''],
          ['MAL_INST_PORT', inst.port],
          ['MAL_DW_PORT', inst.malDwPort],
          ['MAL_INST_DW_PORT', inst.instDwPort],
        ],
      };
    }),
  };
}
