// Test runner configuration: tests live in test/; `fast` (IR, ops, numerics, frontend, passes: the edit-test loop,
// `npm run test:fast`, under a minute) and `full` (everything else: C builds, QEMU, examples, CLI) run together in `npm test`.
import { defineConfig } from 'vitest/config';

/** The fast tier: pure TypeScript, no C toolchain, no example-model compiles. */
export const FAST = [
  'test/architecture.test.ts',
  'test/backend-c-list.test.ts',
  'test/backend-onnx-ops.test.ts',
  'test/backend-onnx-adder.test.ts',
  'test/lowered.test.ts',
  'test/recover-blocks.test.ts',
  'test/channel-fracs.test.ts',
  'test/check.test.ts',
  'test/cli-output.test.ts',
  'test/cli-progress.test.ts',
  'test/conformance.test.ts',
  'test/eval.test.ts',
  'test/format-count.test.ts',
  'test/frontend.test.ts',
  'test/fuzz-graph.test.ts',
  'test/hostile.test.ts',
  'test/interp-kernels.test.ts',
  'test/ir-text.test.ts',
  'test/lower.test.ts',
  'test/numerics-graph.test.ts',
  'test/numerics.test.ts',
  'test/op-traits.test.ts',
  'test/package-docs.test.ts',
  'test/ops-*.test.ts',
  'test/pair-convs.test.ts',
  'test/passes.test.ts',
  'test/passes/**/*.test.ts',
  'test/recover-kernels.test.ts',
  'test/recover.test.ts',
  'test/report.test.ts',
  'test/tile-plan.test.ts',
  'test/wasm-unpack.test.ts',
];

export default defineConfig({
  test: {
    // Generous: a loaded 2-core machine runs the example compiles several times slower than a quiet one.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'fast', include: FAST } },
      { extends: true, test: { name: 'full', include: ['test/**/*.test.ts'], exclude: [...FAST, 'node_modules/**'] } },
    ],
  },
});
