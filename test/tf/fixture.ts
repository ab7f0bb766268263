/**
 * Test stacks synthesized with the real cdktf API into a temp directory: `build` adds resources
 * to a stack that already has the null provider; the result names the stack directory (holding
 * cdk.tf.json) and removes everything on `cleanup`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { provider } from '@cdktf/provider-null';
import { App, TerraformStack } from 'cdktf';

export interface SynthStack {
  root: string;
  stackDir: string;
  /** Synthesize again, replacing the stack's contents (the state file is kept). */
  resynth(build: (stack: TerraformStack) => void): void;
  cleanup(): void;
}

function synthInto(outdir: string, name: string, build: (stack: TerraformStack) => void): void {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, name);
  new provider.NullProvider(stack, 'null');
  build(stack);
  app.synth();
}

export function synthStack(build: (stack: TerraformStack) => void, name = 'test'): SynthStack {
  const root = mkdtempSync(path.join(os.tmpdir(), 'dm-cdktf-tf-'));
  const outdir = path.join(root, 'cdktf.out');
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  try {
    synthInto(outdir, name, build);
  } catch (e) {
    cleanup();
    throw e;
  }
  return {
    root,
    stackDir: path.join(outdir, 'stacks', name),
    resynth: (b) => synthInto(outdir, name, b),
    cleanup,
  };
}
