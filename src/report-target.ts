// The target section of report.md: what the emitted code takes (arena, weights) and the --ram-budget plan.
import type { BackendStats } from './backends/contract.js';
import { md } from './report-md.js';

export function targetMarkdown(target: string, s: BackendStats): string {
  const lines = [
    '',
    `## Target ${target}`,
    '',
    `Arena ${s.memory.arenaBytes} bytes (liveness lower bound ${s.memory.lowerBound}, one buffer per tensor ${s.memory.naiveBytes}); weight streams ${s.weightBytes} bytes for ${s.terms - s.codeTerms} terms, ${s.codeTerms} terms as code, parameters ${s.paramBytes} bytes.`,
  ];
  const t = s.tiling;
  if (t) {
    lines.push('', `--ram-budget ${t.budget}: untiled arena ${t.untiledArenaBytes} bytes; halo recompute +${(100 * t.extraWork).toFixed(1)}% of the model's work${t.unpacked ? '; data streams replace the packed ones (their per-channel decode scratch did not fit)' : ''}.`);
    if (t.segments.length) {
      lines.push('', '| tiled layers | sink | patches | tile arena (bytes) | recompute |', '|---|---|---|---|---|');
      for (const g of t.segments) {
        lines.push(`| ${md(g.nodes[0]!)} .. ${md(g.nodes.at(-1)!)} (${g.nodes.length}) | ${md(g.sink)} ${g.size.join('x')} | ${g.tiles} of ${g.patch.join('x')} | ${g.arenaBytes} | +${(100 * g.extraWork).toFixed(1)}% |`);
      }
    } else lines.push('', 'Nothing tiled: the untiled arena fits.');
  }
  return `${lines.join('\n')}\n`;
}
