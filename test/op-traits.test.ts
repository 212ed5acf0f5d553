// Op traits: every registered op declares them, and the sets passes derive from them are pinned.
import { describe, expect, it } from 'vitest';
import type { OpTraits } from '../src/ir/op.js';
import { OPS, opTraits, type OpKind } from '../src/ir/registry.js';

const KINDS = Object.keys(OPS) as OpKind[];

function withTrait(t: keyof OpTraits): string[] {
  return KINDS.filter((k) => opTraits(k)[t] === true).sort();
}

describe('op traits', () => {
  it('every registered op declares a traits object of known boolean flags', () => {
    const known = new Set<string>(['weightLayer', 'fusesActivation', 'fusableActivation', 'scalePreserving', 'perChannelFracs', 'channelwise', 'tableActivation', 'shiftLayer']);
    for (const k of KINDS) {
      const t = OPS[k].traits;
      expect(typeof t, k).toBe('object');
      for (const [name, v] of Object.entries(t)) {
        expect(known.has(name), `${k}.${name}`).toBe(true);
        expect(typeof v, `${k}.${name}`).toBe('boolean');
      }
    }
  });

  // The op-name lists the passes kept before traits moved onto the op definitions; a new op must be placed here.
  it('the trait-derived sets equal the lists the passes used to keep', () => {
    expect(withTrait('weightLayer')).toEqual(['Conv', 'Gemm', 'MatMul']);
    expect(withTrait('fusesActivation')).toEqual(['Add', 'Adder', 'Conv', 'Gemm', 'MatMul']);
    expect(withTrait('fusableActivation')).toEqual(['Clip', 'Relu']);
    expect(withTrait('scalePreserving')).toEqual(['Gather', 'GlobalMaxPool', 'Identity', 'MaxPool', 'Relu', 'Reshape', 'Slice', 'Split', 'Transpose']);
    expect(withTrait('perChannelFracs')).toEqual(['AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'MaxPool', 'Relu']);
    expect(withTrait('channelwise')).toEqual(['AveragePool', 'Clip', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'MaxPool', 'Relu', 'Sigmoid', 'Tanh']);
    expect(withTrait('tableActivation')).toEqual(['Elu', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Sigmoid', 'Softplus', 'Tanh']);
    expect(withTrait('shiftLayer')).toEqual(['AdderConv', 'ShiftConv', 'ShiftGemm']);
  });

  it('the ops declaring no trait are pinned too, so any new op fails one of these tests until it is placed', () => {
    expect(KINDS.filter((k) => Object.keys(OPS[k].traits).length === 0).sort()).toEqual([
      'Abs', 'BatchNormalization', 'Cast', 'Concat', 'Div', 'Exp', 'Expand', 'LRN', 'LogSoftmax', 'Lut', 'Max', 'Min', 'Mul',
      'Neg', 'PRelu', 'Pad', 'Pow', 'QAdd', 'QAveragePool', 'QGateMul', 'QLrn', 'ReduceMean', 'ReduceSum', 'Requantize', 'Selu', 'Sign',
      'Softmax', 'Sqrt', 'Sub', 'Sum', 'Tile',
    ]);
  });
});
