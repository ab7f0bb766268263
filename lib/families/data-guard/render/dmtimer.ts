/** dmtimer.ini: the timers of the async archives an instance sends (7.6.3.4, §5.6). */
import type { DatabaseModel, GroupModel, TimerModel } from '../model';
import type { IniDoc } from '../../../render/ini';
import { asyncTargetsOf } from './topology';

export function renderDmTimer(group: GroupModel, db: DatabaseModel): IniDoc | undefined {
  const timers = new Map<string, TimerModel>();
  for (const t of asyncTargetsOf(group, db))
    if (t.timer && !timers.has(t.timer.name)) timers.set(t.timer.name, t.timer);
  if (timers.size === 0) return undefined;
  return {
    globals: [],
    sections: [...timers.values()].map((t) => ({
      name: t.name,
      entries: [
        ['TYPE', t.type],
        ['FREQ_MONTH_WEEK_INTERVAL', t.freqMonthWeekInterval],
        ['FREQ_SUB_INTERVAL', t.freqSubInterval],
        ['FREQ_MINUTE_INTERVAL', t.freqMinuteInterval],
        ['START_TIME', t.startTime],
        ['END_TIME', t.endTime],
        ['DURING_START_DATE', t.duringStartDate],
        ['DURING_END_DATE', t.duringEndDate],
        ['NO_END_DATE_FLAG', t.noEndDateFlag],
        ['DESCRIBE', t.describe],
        ['IS_VALID', t.isValid],
      ],
    })),
  };
}
