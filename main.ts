/**
 * The CDKTF app: one stack per cluster spec in clusters/*.yaml, or the built-in example
 * (examples/7.2-realtime-pair.yaml) when there is none. Each stack holds the construct of the
 * spec's kind (RealtimePair, ReadWriteCluster, MppGroup, DscPrimary): one null_resource (or
 * terraform_data, with the spec's `stepResource`) per deploy and teardown step, the plan
 * manifest as an asset, the client outputs. Every spec is checked before any stack is made:
 * errors (with file:line) and clashing names stop synth with all problems listed at once.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { validateSpecFile } from './lib/cli/spec-file';
import { formatFinding, hasErrors } from './lib/validate';
import type { ClusterSpec } from './lib/spec/schema';
import { clusterFromSpec, type DmCluster } from './constructs';

/**
 * The specs in `<root>/clusters/*.yaml` (cdktf runs the app in the project directory: `root` is
 * that), else this repository's built-in example.
 */
export function specFiles(root: string): string[] {
  const dir = path.join(root, 'clusters');
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  return files.length
    ? files.map((f) => path.join(dir, f))
    : [path.join(__dirname, 'examples/7.2-realtime-pair.yaml')];
}

export interface StackOptions {
  /**
   * The dmdeploy command the provisioners run.
   * @default `node <the step bundle>`, an asset of the stack (constructs/step-bundle.ts)
   */
  readonly dmdeploy?: string;
}

/** One cluster's stack: the stack and the cluster construct share the cluster's name. */
export class ClusterStack extends TerraformStack {
  readonly cluster: DmCluster;

  constructor(scope: Construct, id: string, spec: ClusterSpec, options: StackOptions = {}) {
    super(scope, id);
    this.cluster = clusterFromSpec(this, id, spec, options.dmdeploy);
  }
}

export function buildApp(app: App, files: readonly string[], options: StackOptions = {}): App {
  const problems: string[] = [];
  const stacks: { file: string; name: string; spec: ClusterSpec }[] = [];
  for (const file of files) {
    const v = validateSpecFile(file);
    if (!v.model || !v.spec || hasErrors(v.findings)) {
      problems.push(...v.findings.filter((f) => f.severity === 'error').map(formatFinding));
      continue;
    }
    const clash = stacks.find((s) => s.name === v.model?.name);
    if (clash) {
      problems.push(
        `${file}: cluster name ${v.model.name} is already the stack of ${clash.file}; fix: set a distinct name (or group)`,
      );
      continue;
    }
    stacks.push({ file, name: v.model.name, spec: v.spec });
  }
  if (problems.length) throw new Error(`cannot synthesize the cluster specs:\n${problems.join('\n')}`);
  for (const s of stacks) new ClusterStack(app, s.name, s.spec, options);
  return app;
}

if (require.main === module) buildApp(new App(), specFiles(process.cwd())).synth();
