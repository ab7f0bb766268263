/**
 * The CDKTF app: one stack per cluster spec in clusters/*.yaml, or the built-in example
 * (examples/7.2-realtime-pair.yaml) when there is none. A spec with errors stops synth with
 * every finding. The step resources arrive with the constructs; today a stack carries the
 * client outputs (the dm_svc.conf entry and the service name).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { validateSpecFile } from './lib/cli/spec-file';
import { formatFinding, hasErrors } from './lib/validate';
import type { ClusterModel } from './lib/spec/model';
import { renderDmSvc } from './lib/render/dmsvc';

export function specFiles(root: string): string[] {
  const dir = path.join(root, 'clusters');
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  return files.length
    ? files.map((f) => path.join(dir, f))
    : [path.join(root, 'examples/7.2-realtime-pair.yaml')];
}

export class ClusterStack extends TerraformStack {
  constructor(scope: Construct, id: string, model: ClusterModel) {
    super(scope, id);
    new TerraformOutput(this, 'client_service_name', { value: model.client.serviceName });
    new TerraformOutput(this, 'dm_svc_conf', { value: renderDmSvc(model) });
  }
}

export function buildApp(app: App, files: readonly string[]): App {
  const problems: string[] = [];
  for (const file of files) {
    const v = validateSpecFile(file);
    if (!v.model || hasErrors(v.findings)) {
      problems.push(...v.findings.filter((f) => f.severity === 'error').map(formatFinding));
      continue;
    }
    new ClusterStack(app, v.model.name, v.model);
  }
  if (problems.length) throw new Error(`cluster specs are invalid:\n${problems.join('\n')}`);
  return app;
}

if (require.main === module) buildApp(new App(), specFiles(__dirname)).synth();
