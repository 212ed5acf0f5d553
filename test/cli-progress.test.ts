// Compile progress: a redrawn line on a TTY, plain periodic lines in CI logs, with the layer and an estimate of time left.
import { describe, expect, it } from 'vitest';
import { ttyProgress } from '../src/cli-options.js';

describe('progress', () => {
  it('prints plain lines when stderr is not a TTY, with stage, nodes and time left, escaped', () => {
    const out: string[] = [];
    const p = ttyProgress(0, (s) => out.push(s), false)!;
    p('lower', 0, 10);
    p('lower', 5, 10);
    p('recover conv\x1b[2J1', 3, 8);
    p('lower', 10, 10);
    expect(out.every((l) => l.startsWith('shiftaddc: ') && l.endsWith('\n'))).toBe(true);
    expect(out[1]).toMatch(/^shiftaddc: lower 5\/10 \(nodes 5\/10(, ~\d+ s left)?\), \d+ s\n$/);
    expect(out[2]).toMatch(/^shiftaddc: recover conv\\x1b\[2J1 3\/8 \(nodes 5\/10/);
    expect(out).toHaveLength(3);
  });

  it('redraws one line on a TTY and clears it when lowering ends; rate-limits plain lines', () => {
    const tty: string[] = [];
    const p = ttyProgress(15_000, (s) => tty.push(s), true)!;
    p('lower', 1, 4);
    p('lower', 4, 4);
    expect(tty[0]).toMatch(/^\r\x1b\[Klower 1\/4/);
    expect(tty.at(-1)).toBe('\r\x1b[K');
    const plain: string[] = [];
    const q = ttyProgress(15_000, (s) => plain.push(s), false)!;
    for (let k = 0; k < 100; k++) q('lower', k, 100);
    expect(plain).toEqual([]);
  });
});
