// Which dmwatcher.ini changes the monitor's `set group [g] para value` makes on running watchers
// (§4.4 item 34), and the commands for them (lib/dm/monitor.ts).
import { describe, expect, it } from 'vitest';
import { setGroupCommands } from '../../lib/dm';

const ini = (dwErrorTime: number, mode = 'AUTO', extra = '') =>
  `[GRP1]\n\tDW_TYPE = GLOBAL\n\tDW_MODE = ${mode}\n\tDW_ERROR_TIME = ${dwErrorTime}\n\tINST_ERROR_TIME = 10\n${extra}`;

describe('set group commands for a changed dmwatcher.ini', () => {
  it('one command per changed parameter the manual lets set group change, per group', () => {
    expect(setGroupCommands(ini(10), ini(20))).toEqual(['set group GRP1 DW_ERROR_TIME 20']);
    expect(setGroupCommands(ini(10), ini(10))).toEqual([]);
    expect(
      setGroupCommands(
        ini(10, 'AUTO', '\tINST_AUTO_RESTART = 0\n'),
        ini(10, 'AUTO', '\tINST_AUTO_RESTART = 1\n'),
      ),
    ).toEqual(['set group GRP1 INST_AUTO_RESTART 1']);
  });
  it('none when anything else changes, or a parameter is added or removed', () => {
    expect(setGroupCommands(ini(10), ini(20, 'MANUAL'))).toBeUndefined();
    expect(setGroupCommands(ini(10), ini(10, 'AUTO', '\tRLOG_SEND_THRESHOLD = 5\n'))).toBeUndefined();
    expect(setGroupCommands(ini(10, 'AUTO', '\tRLOG_SEND_THRESHOLD = 5\n'), ini(10))).toBeUndefined();
  });
});
