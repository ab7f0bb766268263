/**
 * The real-terraform runner (terraform.ts) on small stacks of Terraform's built-in terraform_data,
 * with no provider available at all: where its state lives, that a second apply finds it, and
 * that `crashAfter` is a real crash (terraform and its provisioners SIGKILLed) that the next
 * apply finishes.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultStatePath, TfCrash, terraformRunner } from './index';
import { terraformForTests } from './availability';
import { noProviderTerraformEnv } from './offline';

const terraform = terraformForTests();
const root = mkdtempSync(path.join(tmpdir(), 'dm-tf-real-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A stack directory laid out as cdktf writes it: <project>/cdktf.out/stacks/<name>/cdk.tf.json. */
function stack(name: string, resources: Record<string, { command: string; after?: string[] }>): string {
  const project = path.join(root, name);
  const stackDir = path.join(project, 'cdktf.out', 'stacks', name);
  mkdirSync(stackDir, { recursive: true });
  const json = {
    terraform: { backend: { local: { path: path.join(project, `terraform.${name}.tfstate`) } } },
    resource: {
      terraform_data: Object.fromEntries(
        Object.entries(resources).map(([id, r]) => [
          id,
          {
            triggers_replace: { step: id },
            depends_on: (r.after ?? []).map((a) => `terraform_data.${a}`),
            provisioner: [{ 'local-exec': { command: r.command } }],
          },
        ]),
      ),
    },
  };
  writeFileSync(path.join(stackDir, 'cdk.tf.json'), JSON.stringify(json, null, 1));
  return stackDir;
}

// skipped only where terraform cannot run, with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!terraform.ok)('real terraform runner', () => {
  const binary = terraform.binary ?? '';
  const cliEnv = noProviderTerraformEnv();

  it('keeps the state where cdktf does, so a second apply finds it and destroy destroys everything', async () => {
    const marks = path.join(root, 'marks-a');
    const stackDir = stack('a', {
      one: { command: `echo one >> ${marks}` },
      two: { command: `echo two >> ${marks}`, after: ['one'] },
    });
    // not Terraform's legacy default in the working directory, which init -reconfigure migrates
    // into the backend (and empties, when both are the same file)
    expect(defaultStatePath(stackDir)).toBe(path.join(root, 'a', 'terraform.a.tfstate'));
    const tf = terraformRunner({ stackDir, cliEnv, env: process.env }, binary);
    const first = await tf.apply();
    expect(first.created.sort()).toEqual(['terraform_data.one', 'terraform_data.two']);
    const second = await tf.apply();
    expect(second.created).toEqual([]);
    expect(second.unchanged.sort()).toEqual(['terraform_data.one', 'terraform_data.two']);
    expect(readFileSync(marks, 'utf8')).toBe('one\ntwo\n');
    expect(existsSync(defaultStatePath(stackDir))).toBe(true);
    const gone = await tf.destroy();
    expect(gone.destroyed.sort()).toEqual(['terraform_data.one', 'terraform_data.two']);
    expect((await tf.plan()).create.sort()).toEqual(['terraform_data.one', 'terraform_data.two']);
  }, 120_000);

  it('crashAfter kills terraform and its provisioners; the state holds what completed; the next apply finishes', async () => {
    const marks = path.join(root, 'marks-b');
    const stackDir = stack('b', {
      one: { command: `echo one >> ${marks}` },
      // still running when terraform is killed: it must die with it, and never write
      two: { command: `sleep 3 && echo two >> ${marks}`, after: ['one'] },
      three: { command: `echo three >> ${marks}`, after: ['two'] },
    });
    const tf = terraformRunner({ stackDir, cliEnv, env: process.env, parallelism: 1 }, binary);
    const err = await tf.apply({ crashAfter: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TfCrash);
    expect((err as TfCrash).result.completed).toEqual(['terraform_data.one']);
    await new Promise((r) => setTimeout(r, 4000));
    expect(readFileSync(marks, 'utf8')).toBe('one\n');
    const plan = await tf.plan();
    expect(plan.create.sort()).toEqual(['terraform_data.three', 'terraform_data.two']);
    const r = await tf.apply();
    expect(r.created.sort()).toEqual(['terraform_data.three', 'terraform_data.two']);
    expect(readFileSync(marks, 'utf8')).toBe('one\ntwo\nthree\n');
  }, 120_000);
});
