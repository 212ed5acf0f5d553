// Markdown rendering of the conversion report (report.md next to report.json).
import { printable } from './diagnostics.js';
import { formatCount } from './format-count.js';
import type { CompileReport } from './report.js';

/** Model text in a Markdown table cell or list item: escaped, capped, its pipes, backticks and HTML brackets neutralised. */
export function md(s: string, max?: number): string {
  return printable(s, max).replace(/[\\`<>|]/g, (c) => `\\${c}`);
}

export function reportMarkdown(r: CompileReport, title: string): string {
  const t = r.totals;
  const lines = [
    `# shiftaddc report: ${md(title)}`,
    '',
    `Options: \`${JSON.stringify(r.options)}\`. Compile time ${r.seconds.toFixed(2)} s.`,
    '',
    '| layer | op | weights | terms/weight | exponents | sparsity | SQNR dB | shifts | adds | multiplies | weight bits |',
    '| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.layers.map((l) => `| ${md(l.name)} | ${md(l.op)} | ${formatCount(l.weights)} | ${l.termsPerWeight.toFixed(2)} | 2^${l.exponentRange[0]}..2^${l.exponentRange[1]} | ${(100 * l.sparsity).toFixed(1)}% | ${l.sqnrDb ?? 'n/a'} | ${formatCount(l.shifts)} | ${formatCount(l.adds)} | ${l.multiplies} | ${formatCount(l.weightBits)} |`),
    '',
    ...(r.adderLayers ? [
      '| adder layer | op | weights | SQNR dB | subtractions | absolute values | adds | shifts | weight bits |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...r.adderLayers.map((l) => `| ${md(l.name)} | ${md(l.op)} | ${formatCount(l.weights)} | ${l.sqnrDb ?? 'n/a'} | ${formatCount(l.subs)} | ${formatCount(l.abs)} | ${formatCount(l.adds)} | ${formatCount(l.shifts)} | ${formatCount(l.weightBits)} |`),
      '',
    ] : []),
    `Totals: ${formatCount(t.shifts)} shifts and ${formatCount(t.adds)} adds, ${t.multiplies} multiplies, replacing ${formatCount(t.floatMacs)} float MACs.`,
    `Weights: ${formatCount(t.weightBytes)} bytes at the ideal (1 + B) bits a term plus per-channel parameters, not the flash of a target (its Size section says that; int8 would take ${formatCount(t.int8WeightBytes)}, float32 ${formatCount(t.floatWeightBytes)}).`,
    `Input fractional bits: ${r.inputFrac.join(', ')}; output fractional bits: ${r.outputFrac.join(', ')}.`,
    // Notes quote model names but are sentences of ours: a longer cap.
    ...r.notes.map((n) => `- ${md(n, 2000)}`),
    '',
  ];
  return lines.join('\n');
}
