// Which dm.ini settings a running server takes online (SP_SET_PARA_VALUE) and which wait for a
// restart, by their V$PARAMETER TYPE.
import { describe, expect, it } from 'vitest';
import { parseParamTypes, splitSettings } from '../../lib/dm';
import { changedSettings } from '../../lib/families/data-guard/plan/deployed';

describe('dm.ini settings on a running server', () => {
  it('reads NAME and TYPE from a bare V$PARAMETER listing, two-word types included', () => {
    const t = parseParamTypes(
      ['SESS_FREE_IN_SUSPEND SYS', 'RLOG_SEND_APPLY_MON IN FILE', 'CTL_PATH READ ONLY', 'X'].join('\n'),
    );
    expect([...t]).toEqual([
      ['SESS_FREE_IN_SUSPEND', 'SYS'],
      ['RLOG_SEND_APPLY_MON', 'IN FILE'],
      ['CTL_PATH', 'READ ONLY'],
      ['X', ''],
    ]);
  });

  it('sets SYS and SESSION parameters online; IN FILE, READ ONLY, unknown and non-integer values wait', () => {
    const types = new Map([
      ['A', 'SYS'],
      ['B', 'SESSION'],
      ['C', 'IN FILE'],
      ['D', 'READ ONLY'],
      ['F', 'SYS'],
    ]);
    const r = splitSettings(
      [
        ['A', '1'],
        ['B', '-2'],
        ['C', '3'],
        ['D', '4'],
        ['E', '5'],
        ['F', '0.5'],
      ],
      types,
    );
    expect(r.online).toEqual(["SP_SET_PARA_VALUE(1, 'A', 1)", "SP_SET_PARA_VALUE(1, 'B', -2)"]);
    expect(r.needRestart).toEqual([
      'C (TYPE IN FILE)',
      'D (TYPE READ ONLY)',
      'E (not in V$PARAMETER)',
      'F (not an integer value)',
    ]);
  });

  it('a setting the spec drops is no change: dm.ini keeps the value it has', () => {
    expect(changedSettings('A = 1\nB = 2\n', 'A = 1\nB = 3\nC = 4\n')).toEqual([
      ['B', '3'],
      ['C', '4'],
    ]);
    expect(changedSettings('A = 1\nB = 2\n', 'A = 1\n')).toEqual([]);
  });
});
