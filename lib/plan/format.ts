/** `dmdeploy plan`: the plan printed by phase and host. */
import { PHASES, TEARDOWN_PHASES, type Plan, type Step } from './step';

export function formatPlan(plan: Plan): string {
  const lines = [
    `plan for ${plan.cluster} (${plan.kind}): ${plan.steps.length} deploy steps, ${plan.teardown.length} teardown steps`,
  ];
  const section = (title: string, phases: readonly string[], steps: readonly Step[]) => {
    lines.push('', title);
    const hostWidth = Math.max(4, ...steps.map((s) => s.host.length));
    const idWidth = Math.max(4, ...steps.map((s) => s.id.length));
    // the phases this plan has, numbered in order
    phases
      .filter((phase) => steps.some((s) => s.phase === phase))
      .forEach((phase, n) => {
        const inPhase = steps.filter((s) => s.phase === phase);
        lines.push(`  ${String(n + 1).padStart(2)}. ${phase}`);
        for (const s of [...inPhase].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)))
          lines.push(
            `      ${s.host.padEnd(hostWidth)}  ${s.id.padEnd(idWidth)}  ${s.title} (manual ${s.manual})`,
          );
      });
  };
  section(
    'deploy (hosts of one phase run in parallel once their steps before are done):',
    PHASES,
    plan.steps,
  );
  section('teardown (cdktf destroy):', TEARDOWN_PHASES, plan.teardown);
  return `${lines.join('\n')}\n`;
}
