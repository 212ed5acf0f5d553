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

/** The size section of report.md: the C's flash and RAM, measured or exact from its text, and which. */
export function sizeMarkdown(s: NonNullable<BackendStats['size']>): string {
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  const m = s.measured;
  const lines = ['', '## Size', ''];
  if (m) {
    lines.push(`Measured (${m.target}, \`${md(m.compiler)}\`): code ${kb(m.codeBytes)} + weights ${kb(m.weightBytes)} + tables ${kb(m.tableBytes)} = ${kb(m.flashBytes)} flash (${m.flashBytes} bytes); arena ${s.arenaBytes} B + stack ${m.stackBytes} B (static RAM ${m.ramBytes} B; the stack is a static bound: -fstack-usage frames along the deepest call path from NAME_run).`, '');
  } else lines.push(`Code size and stack not measured (${md(s.notMeasured ?? 'off')}): measuring needs arm-none-eabi-gcc on PATH and no --no-measure-size.`, '');
  lines.push(`Exact from the emitted C: weight streams ${s.weightBytes} bytes${s.binBytes ? ` (${s.binBytes} in the weights blob)` : ''}, other tables ${s.tableBytes} bytes (${s.tables.length} const tables); arena ${s.arenaBytes} B, static RAM ${s.staticRamBytes} B.`);
  return `${lines.join('\n')}\n`;
}
