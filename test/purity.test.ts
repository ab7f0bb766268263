/**
 * lib/spec, lib/validate, lib/render, lib/plan and the cluster families (lib/families) are the pure core: no file system, no processes, no
 * network. Checked two ways: their imports, and a run over every example with every socket
 * connect and listen booby-trapped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';

const CORE = ['lib/spec', 'lib/validate', 'lib/render', 'lib/plan', 'lib/families'];
const FORBIDDEN =
  /from '(node:)?(fs|fs\/promises|child_process|dgram|http|https|http2|tls|ssh2|worker_threads)'/;

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => path.join(d.parentPath, d.name));
}

describe('the pure core', () => {
  it('imports nothing that touches files, processes or the network', () => {
    const root = path.join(__dirname, '..');
    for (const file of CORE.flatMap((d) => sources(path.join(root, d)))) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(FORBIDDEN);
      // node:net is allowed for isIP only (a pure address check)
      for (const m of text.matchAll(/import \{([^}]*)\} from 'node:net'/g))
        expect(m[1]?.trim(), file).toBe('isIP');
    }
  });

  it('validates and renders every example without opening a socket', async () => {
    const net = await import('node:net');
    const trap = (what: string) => () => {
      throw new Error(`the pure core tried to ${what}`);
    };
    const spies = [
      vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(trap('open a socket')),
      vi.spyOn(net.Server.prototype, 'listen').mockImplementation(trap('listen')),
    ];
    try {
      const { loadYaml } = await import('../lib/spec/load');
      const { validateSpec } = await import('../lib/validate');
      const { renderCluster } = await import('../lib/render');
      const dir = path.join(__dirname, '../examples');
      const texts = readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')] as const);
      for (const [f, text] of texts) {
        const v = validateSpec(loadYaml(text, f).data);
        expect(v.model, f).toBeDefined();
        expect(renderCluster(v.model!).length, f).toBeGreaterThan(5);
      }
      for (const s of spies) expect(s).not.toHaveBeenCalled();
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });
});
