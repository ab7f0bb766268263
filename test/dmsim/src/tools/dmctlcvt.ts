/**
 * dmctlcvt TYPE=2 SRC=<dmmpp.ini> DEST=<dmmpp.ctl>     text -> control file (7.4.3.4)
 * dmctlcvt TYPE=1 SRC=<dmmpp.ctl|dm.ctl> DEST=<file.txt> control file -> text
 *
 * The dmmpp.ctl bytes are deterministic (same text, same bytes) but are not DM's real layout.
 * TYPE=3/4 (dmwatcher.ctl) are not modelled: DM8 V4.0 creates that file only on a split (§3.5).
 */
import fs from 'node:fs';
import path from 'node:path';
import { allowKeys, DmError, E, logAction, opDelay, parseDmArgs, readText, writeFileAtomic } from '../common';
import { decodeMppCtl, encodeMppCtl, parseMppIni } from '../config';
import { readState } from '../state';

export async function dmctlcvt(argv: string[]): Promise<number> {
  const args = parseDmArgs(argv);
  allowKeys(args, 'dmctlcvt', ['TYPE', 'SRC', 'DEST', 'DCR_INI']);
  if (args.words.length) throw new DmError(E.INVALID_ARG, `dmctlcvt: invalid parameter ${args.words[0]}`);
  const type = args.kv.get('TYPE');
  const src = args.kv.get('SRC');
  const dest = args.kv.get('DEST');
  if (!type || !src || !dest) throw new DmError(E.INVALID_ARG, 'dmctlcvt: TYPE, SRC and DEST are required');
  await opDelay('ctlcvt');
  if (type === '2') {
    if (path.basename(dest).toLowerCase() !== 'dmmpp.ctl')
      throw new DmError(
        E.INVALID_ARG,
        `dmctlcvt TYPE=2: DEST must be named dmmpp.ctl (dm.ctl from text is not modelled)`,
      );
    const entries = parseMppIni(readText(src, 'dmmpp.ini'), src);
    writeFileAtomic(dest, encodeMppCtl(entries));
    logAction('ctlcvt', { type: 2, src, dest });
    process.stdout.write(`convert ${src} to ${dest} success.\n`);
    return 0;
  }
  if (type === '1') {
    const base = path.basename(src).toLowerCase();
    let text: string;
    if (base === 'dmmpp.ctl') {
      const entries = decodeMppCtl(fs.readFileSync(src), src);
      text = entries
        .map((e) => `[${e.section}]\n\tMPP_SEQ_NO = ${e.seqNo}\n\tMPP_INST_NAME = ${e.instName}\n`)
        .join('\n');
    } else if (base === 'dm.ctl') {
      const s = readState(src);
      text = [
        `DB_NAME = ${s.dbName}`,
        `PERMANENT_MAGIC = ${s.permanentMagic}`,
        `DB_MAGIC = ${s.dbMagic}`,
        `OGUID = ${s.oguid}`,
        `MODE = ${s.mode}`,
        '',
      ].join('\n');
    } else throw new DmError(E.INVALID_ARG, 'dmctlcvt TYPE=1: SRC must be named dm.ctl or dmmpp.ctl');
    writeFileAtomic(dest, text);
    logAction('ctlcvt', { type: 1, src, dest });
    process.stdout.write(`convert ${src} to ${dest} success.\n`);
    return 0;
  }
  throw new DmError(
    E.NOT_SUPPORTED,
    `dmctlcvt TYPE=${type} is not modelled (DM8 V4.0 does not pre-create dmwatcher.ctl, §3.5)`,
  );
}
