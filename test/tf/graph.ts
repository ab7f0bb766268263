/**
 * The dependency graph, as Terraform walks it: a topological order that names a cycle when there
 * is one, and a parallel walk in which a node starts once everything it comes after has
 * succeeded, at most `parallelism` run at a time, and a node whose prerequisite failed (or was
 * itself skipped) is skipped while independent branches carry on.
 */

/** `after` maps each node to the nodes it must come after; all of them must be keys too. */
export function topoOrder(after: Map<string, readonly string[]>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: string, path: string[]): void => {
    const s = state.get(n);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(n)), n];
      throw new Error(`dependency cycle: ${cycle.join(' -> ')}`);
    }
    state.set(n, 'visiting');
    for (const d of after.get(n) ?? []) visit(d, [...path, n]);
    state.set(n, 'done');
    order.push(n);
  };
  for (const n of [...after.keys()].sort()) visit(n, []);
  return order;
}

export interface WalkNode {
  key: string;
  after: readonly string[];
  /** Resolves true on success, false on failure; must not reject. */
  run(): Promise<boolean>;
}

export interface WalkOutcome {
  failed: string[];
  skipped: string[];
}

/** Walk `nodes` (already checked acyclic); `halted()` true stops new starts, in-flight ones finish. */
export function walk(nodes: WalkNode[], parallelism: number, halted: () => boolean): Promise<WalkOutcome> {
  const status = new Map<string, 'pending' | 'running' | 'ok' | 'failed' | 'skipped'>(
    nodes.map((n) => [n.key, 'pending']),
  );
  let running = 0;
  return new Promise((resolve) => {
    const pump = (): void => {
      let changed = true;
      while (changed) {
        changed = false;
        for (const n of nodes) {
          if (status.get(n.key) !== 'pending') continue;
          const deps = n.after.map((d) => status.get(d));
          if (deps.some((s) => s === 'failed' || s === 'skipped')) {
            status.set(n.key, 'skipped');
            changed = true;
          } else if (deps.every((s) => s === 'ok') && running < parallelism && !halted()) {
            status.set(n.key, 'running');
            running++;
            void n.run().then((ok) => {
              status.set(n.key, ok ? 'ok' : 'failed');
              running--;
              pump();
            });
          }
        }
      }
      if (running === 0) {
        const keys = (want: string) => nodes.filter((n) => status.get(n.key) === want).map((n) => n.key);
        resolve({ failed: keys('failed'), skipped: [...keys('skipped'), ...keys('pending')] });
      }
    };
    pump();
  });
}
