/**
 * Every file each host receives, from a validated model of any cluster family. Pure and
 * deterministic: the same model gives the same list, in the same order, with the same bytes.
 */
import path from 'node:path/posix';
import type { AnyModel } from '../spec/model';
import { familyOf } from '../families';
import type { RenderedFile } from './file';

export { CLIENT_HOST, type FileRole, type RenderedFile } from './file';

/** Every file of any cluster family's model. */
export function renderCluster(model: AnyModel): RenderedFile[] {
  return familyOf(model.kind).render(model);
}

/** Where `dmdeploy render --out` writes a file: <host>/<absolute path>, patches with a .patch suffix. */
export function renderedPath(f: RenderedFile): string {
  return path.join(f.host, f.kind === 'ini-patch' ? `${f.path}.patch` : f.path);
}
