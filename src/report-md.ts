// Markdown rendering of the conversion report (report.md next to report.json).
import type { CompileReport } from './report.js';

const fmt = (n: number) => n.toLocaleString('en-US');

export function reportMarkdown(r: CompileReport, title: string): string {
  const t = r.totals;
  const lines = [
    `# shiftaddc report: ${title}`,
    '',
    `Options: \`${JSON.stringify(r.options)}\`. Compile time ${r.seconds.toFixed(2)} s.`,
    '',
    '| layer | op | weights | terms/weight | exponents | sparsity | SQNR dB | shifts | adds | multiplies | weight bits |',
    '| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.layers.map((l) => `| ${l.name} | ${l.op} | ${fmt(l.weights)} | ${l.termsPerWeight.toFixed(2)} | 2^${l.exponentRange[0]}..2^${l.exponentRange[1]} | ${(100 * l.sparsity).toFixed(1)}% | ${l.sqnrDb ?? 'n/a'} | ${fmt(l.shifts)} | ${fmt(l.adds)} | ${l.multiplies} | ${fmt(l.weightBits)} |`),
    '',
    `Totals: ${fmt(t.shifts)} shifts and ${fmt(t.adds)} adds, ${t.multiplies} multiplies, replacing ${fmt(t.floatMacs)} float MACs.`,
    `Weights: ${fmt(t.weightBytes)} bytes packed (int8 would take ${fmt(t.int8WeightBytes)}, float32 ${fmt(t.floatWeightBytes)}).`,
    `Input fractional bits: ${r.inputFrac.join(', ')}; output fractional bits: ${r.outputFrac.join(', ')}.`,
    ...r.notes.map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}
