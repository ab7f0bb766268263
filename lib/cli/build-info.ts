/**
 * What a step bundle is built from (constructs/step-bundle.ts builds it): the digest of its input
 * files' contents and the esbuild version, and the list of those files (relative to the
 * repository root, as esbuild's metafile names them). The bundle carries this as its last line,
 * so that `node <bundle> --build-info` can print it and a build can tell whether the bundle it
 * finds is still made of the current sources. Only node:crypto and node:fs: the bundle includes it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface BuildInfo {
  /** sha256 (hex) of the esbuild version and every input file's path and contents. */
  digest: string;
  /** The esbuild version that built it. */
  esbuild: string;
  /** The input files, relative to the repository root, sorted. */
  inputs: string[];
}

/** The bundle's last line: this marker, then the BuildInfo as JSON. */
export const BUILD_INFO_MARKER = '//# dm-cdktf-step-build-info ';

/** The digest of the current contents of `inputs` under `root`; undefined when one cannot be read. */
export function sourcesDigest(root: string, esbuild: string, inputs: readonly string[]): string | undefined {
  const h = createHash('sha256').update(`dm-cdktf step bundle\0esbuild ${esbuild}\0`);
  for (const rel of [...inputs].sort()) {
    let content: Buffer;
    try {
      content = readFileSync(path.join(root, rel));
    } catch {
      return undefined;
    }
    h.update(`${rel}\0${content.length}\0`).update(content).update('\0');
  }
  return h.digest('hex');
}

/** The BuildInfo at the end of a bundle's text, if it has one. */
export function readBuildInfo(bundleText: string): BuildInfo | undefined {
  const at = bundleText.lastIndexOf(`\n${BUILD_INFO_MARKER}`);
  if (at < 0) return undefined;
  try {
    const info = JSON.parse(bundleText.slice(at + 1 + BUILD_INFO_MARKER.length)) as Partial<BuildInfo>;
    return typeof info.digest === 'string' && typeof info.esbuild === 'string' && Array.isArray(info.inputs)
      ? (info as BuildInfo)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The esbuild version installed under `root`, if any (read from its package.json, without loading it). */
export function installedEsbuild(root: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(path.join(root, 'node_modules', 'esbuild', 'package.json'), 'utf8'));
    return typeof pkg.version === 'string' ? (pkg.version as string) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a bundle with this BuildInfo is made of the current files under `root`. */
export function isFresh(info: BuildInfo, root: string): boolean {
  const esbuild = installedEsbuild(root);
  return esbuild === info.esbuild && sourcesDigest(root, esbuild, info.inputs) === info.digest;
}
