/** Ordering a plan's steps: a stable topological sort of the DAG. */
import { PHASES, type Step } from './step';

/**
 * Kahn's algorithm, stable by phase then insertion order: of the steps whose predecessors are all
 * placed, the one of the earliest phase (then the earliest given) comes next, taken from a binary
 * heap, so O(n log n + edges). Throws on a cycle or a dangling edge.
 */
export function topoSort(steps: readonly Step[]): Step[] {
  const index = new Map(steps.map((s, i) => [s.id, i]));
  if (index.size !== steps.length) throw new Error('plan: duplicate step ids');
  const waiting = steps.map((s) => s.after.length);
  const next: number[][] = steps.map(() => []);
  steps.forEach((s, i) => {
    for (const a of s.after) {
      const j = index.get(a);
      if (j === undefined) throw new Error(`plan: ${s.id} comes after unknown step ${a}`);
      next[j]?.push(i);
    }
  });
  const rank = steps.map((s) => PHASES.indexOf(s.phase as (typeof PHASES)[number]));
  const heap = new MinHeap((a: number, b: number) => (rank[a] ?? 0) - (rank[b] ?? 0) || a - b);
  waiting.forEach((w, i) => w === 0 && heap.push(i));
  const out: Step[] = [];
  for (let i = heap.pop(); i !== undefined; i = heap.pop()) {
    out.push(steps[i] as Step);
    for (const j of next[i] ?? []) if (--(waiting[j] as number) === 0) heap.push(j);
  }
  if (out.length < steps.length) throw new Error('plan: the steps form a cycle');
  return out;
}

/** A binary min-heap of numbers ordered by `cmp`. */
class MinHeap {
  private readonly items: number[] = [];
  constructor(private readonly cmp: (a: number, b: number) => number) {}

  push(x: number): void {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (this.cmp(a[i] as number, a[p] as number) >= 0) break;
      [a[i], a[p]] = [a[p] as number, a[i] as number];
      i = p;
    }
  }

  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.cmp(a[l] as number, a[m] as number) < 0) m = l;
        if (r < a.length && this.cmp(a[r] as number, a[m] as number) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as number, a[i] as number];
        i = m;
      }
    }
    return top;
  }
}
