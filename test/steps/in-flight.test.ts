// Which processes count as a dminit or dmrman on a step's database (lib/steps/kinds/in-flight.ts).
import { describe, expect, it } from 'vitest';
import { runsOn } from '../../lib/steps/kinds/in-flight';

const split = (line: string) => line.split(/\s+/);

describe('a dminit or dmrman running on a database', () => {
  const dminit = { tool: 'dminit', initPath: '/dm/data', dbName: 'DAMENG' } as const;
  it('dminit: its path= and DB_NAME=, as the step runs it', () => {
    expect(
      runsOn(split('/dm/bin/dminit path=/dm/data DB_NAME=DAMENG INSTANCE_NAME=A PORT_NUM=5236'), dminit),
    ).toBe(true);
    // the simulator's wrapper execs node on its script: the tool's name is still an argument
    expect(runsOn(split('node /dm/bin/dmsim.cjs dminit path=/dm/data DB_NAME=DAMENG'), dminit)).toBe(true);
    expect(runsOn(split('/dm/bin/dminit path=/dm/data2 DB_NAME=DAMENG'), dminit)).toBe(false);
    expect(runsOn(split('/dm/bin/dminit path=/dm/data DB_NAME=OTHER'), dminit)).toBe(false);
    expect(runsOn(split('/dm/bin/dmserver path=/dm/data DB_NAME=DAMENG'), dminit)).toBe(false);
  });
  it('dmrman: the dm.ini its statement quotes, or the dcr_ini of a DMDSC database', () => {
    const m = { tool: 'dmrman', iniPath: '/dm/data/DAMENG/dm.ini' } as const;
    expect(
      runsOn(
        split("/dm/bin/dmrman CTLSTMT=RESTORE DATABASE '/dm/data/DAMENG/dm.ini' FROM BACKUPSET '/b'"),
        m,
      ),
    ).toBe(true);
    // another database whose path starts with this one's
    expect(
      runsOn(
        split("/dm/bin/dmrman CTLSTMT=RESTORE DATABASE '/dm/data/DAMENG/dm.ini.old' FROM BACKUPSET '/b'"),
        m,
      ),
    ).toBe(false);
    expect(runsOn(split("/dm/bin/disql SYSDBA@localhost '/dm/data/DAMENG/dm.ini'"), m)).toBe(false);
    const dsc = { ...m, dcrIni: '/dm/dsc/dmdcr.ini' };
    expect(runsOn(split('/dm/bin/dmrman use_ap=2 dcr_ini=/dm/dsc/dmdcr.ini'), dsc)).toBe(true);
    expect(runsOn(split('/dm/bin/dmrman use_ap=2 dcr_ini=/dm/dsc2/dmdcr.ini'), dsc)).toBe(false);
  });
});
