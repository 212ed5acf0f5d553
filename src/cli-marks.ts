// The compile's last progress mark (stage, node, fraction), published for the CLI entry's out-of-memory report.
import type { Progress } from './passes/context.js';

let sink: ((mark: string) => void) | undefined;
let last = '';

/** bin/shiftaddc-worker.js: receive every new mark (it copies them into memory the main thread can read after a V8 OOM). */
export function observeMarks(fn: (mark: string) => void): void {
  sink = fn;
}

/** Records what the compile is doing now, e.g. `recover conv5 (Conv) 120/512` or `emit c node 'fc6' 41/44`. */
export function mark(text: string): void {
  if (text === last) return;
  last = text;
  sink?.(text);
}

/** The last mark ('' before the first): where an allocation failure outside any node-level check happened. */
export function lastMark(): string {
  return last;
}

/** A progress callback that marks each call, then forwards it (to the progress line, unless --quiet). */
export function withMarks(p: Progress | undefined): Progress {
  return (stage, done, total, node) => {
    mark(`${stage}${node === undefined ? '' : ` node '${node}'`} ${done}/${total}`);
    p?.(stage, done, total, node);
  };
}
