/**
 * Every file of a data-guard cluster (RealtimePair, ReadWriteCluster, DscPrimary, MppGroup) each
 * host receives. Pure and deterministic: the same model gives the same list, in the same order,
 * with the same bytes.
 */
import path from 'node:path/posix';
import { isMpp, type ClusterModel } from '../model';
import { writeIni, type IniEntry } from '../../../render/ini';
import { renderDmIniPatch } from './dm-ini';
import { renderDmMal } from './dmmal';
import { renderDmArch } from './dmarch';
import { renderDmTimer } from './dmtimer';
import { renderDmWatcher } from './dmwatcher';
import { renderDmMonitor } from './dmmonitor';
import { renderDmMpp } from './dmmpp';
import { renderDmDcrPatch } from './dmdcr';
import { renderDmSvc } from './dmsvc';
import { renderDcpFiles } from '../dcp/render';
import { watcherUnits } from './topology';
import type { RenderedFile } from '../../../render/file';
import { CLIENT_HOST } from '../../../render/file';

const patch = (entries: IniEntry[]) => writeIni({ globals: entries, sections: [] });

export function renderDataGuard(model: ClusterModel): RenderedFile[] {
  const files: RenderedFile[] = [];
  const mal = writeIni(renderDmMal(model));
  for (const group of model.groups)
    for (const db of group.databases)
      for (const inst of db.instances) {
        const base = { host: inst.host, instance: inst.name };
        files.push({
          ...base,
          path: inst.iniPath,
          role: 'dm.ini',
          kind: 'ini-patch',
          content: patch(renderDmIniPatch(model, group, db, inst)),
        });
        files.push({
          ...base,
          path: path.join(inst.configPath, 'dmmal.ini'),
          role: 'dmmal.ini',
          kind: 'file',
          content: mal,
        });
        files.push({
          ...base,
          path: path.join(inst.configPath, 'dmarch.ini'),
          role: 'dmarch.ini',
          kind: 'file',
          content: writeIni(renderDmArch(model, group, db, inst)),
        });
        const timer = renderDmTimer(group, db);
        if (timer)
          files.push({
            ...base,
            path: path.join(inst.configPath, 'dmtimer.ini'),
            role: 'dmtimer.ini',
            kind: 'file',
            content: writeIni(timer),
          });
        const dcr = renderDmDcrPatch(model, db, inst);
        if (dcr && inst.dcrIni)
          files.push({
            ...base,
            path: inst.dcrIni,
            role: 'dmdcr.ini',
            kind: 'ini-patch',
            content: patch(dcr),
          });
      }
  for (const unit of watcherUnits(model))
    files.push({
      host: unit.host,
      path: unit.iniPath,
      role: 'dmwatcher.ini',
      kind: 'file',
      content: writeIni(renderDmWatcher(model, unit)),
      instance: unit.entries[0]?.inst.name,
    });
  const m = model.monitor;
  if (m?.multi)
    for (const self of m.multi.instances)
      files.push({
        host: self.host,
        path: path.join(m.path, 'dmmonitor.ini'),
        role: 'dmmonitor.ini',
        kind: 'file',
        content: writeIni(renderDmMonitor(model, self)),
      });
  else if (m?.host)
    files.push({
      host: m.host,
      path: path.join(m.path, 'dmmonitor.ini'),
      role: 'dmmonitor.ini',
      kind: 'file',
      content: writeIni(renderDmMonitor(model)),
    });
  if (isMpp(model)) {
    // 7.4.3.4: written once, on the MPP node with sequence number 0, then converted to dmmpp.ctl
    const first = [...model.groups].sort((a, b) => a.mppSeqNo - b.mppSeqNo)[0]?.databases[0]?.instances[0];
    if (first)
      files.push({
        host: first.host,
        path: path.join(first.configPath, 'dmmpp.ini'),
        role: 'dmmpp.ini',
        kind: 'file',
        content: writeIni(renderDmMpp(model)),
        instance: first.name,
      });
  }
  // 001 6.1.5: each DCP proxy's dm.ini keys
  if (isMpp(model) && model.dcp) files.push(...renderDcpFiles(model.dcp));
  files.push({
    host: CLIENT_HOST,
    path: '/etc/dm_svc.conf',
    role: 'dm_svc.conf',
    kind: 'ini-patch',
    content: renderDmSvc(model),
  });
  return files.sort((a, b) =>
    a.host < b.host ? -1 : a.host > b.host ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
}
