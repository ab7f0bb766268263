/**
 * Writing a step's files: whole files atomically, dm.ini patches merged key by key into the ini
 * dminit wrote. Only what differs is written; `pending` tells what would be.
 */
import path from 'node:path/posix';
import { shQuote } from '../../ssh';
import type { StepFile } from '../../plan';
import { mergeIniPatch } from '../../render/ini-merge';
import type { Remote } from '../remote';

async function wanted(r: Remote, f: StepFile): Promise<{ current?: string; next: string }> {
  const exists = await r.ctx.ex.exists(r.host, f.path);
  const current = exists ? (await r.ctx.ex.readFile(r.host, f.path)).toString('utf8') : undefined;
  if (f.kind === 'file') return { ...(current !== undefined ? { current } : {}), next: f.content };
  if (current === undefined)
    r.fail(
      `${f.path} is missing`,
      '',
      `the ${f.role} that the DM tool writes must exist before its settings are merged`,
    );
  return { current, next: mergeIniPatch(current, f.content) };
}

export async function pendingFiles(r: Remote, files: readonly StepFile[]): Promise<StepFile[]> {
  const out: StepFile[] = [];
  for (const f of files) {
    const w = await wanted(r, f);
    if (w.current !== w.next) out.push(f);
  }
  return out;
}

export async function writeFiles(r: Remote, files: readonly StepFile[]): Promise<void> {
  for (const f of files) {
    const w = await wanted(r, f);
    if (w.current === w.next) continue;
    await r.must(
      `mkdir -p ${shQuote(path.dirname(f.path))}`,
      `cannot create ${path.dirname(f.path)}`,
      'check the path',
    );
    await r.ctx.ex.writeFile(r.host, f.path, w.next, { mode: 0o644 });
    r.ctx.progress(`wrote ${f.path}`);
  }
}
