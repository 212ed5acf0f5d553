// The JSON Schema (draft-07) of descriptor.json, shipped in the package and written next to every descriptor.
const int = { type: 'integer' } as const;
const nat = { type: 'integer', minimum: 0 } as const;
const ints = { type: 'array', items: int } as const;
const obj = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) =>
  ({ type: 'object', properties, required, additionalProperties: false }) as const;

const memoryName = { enum: ['terms', 'bias', 'shift', 'gain', 'clamp', 'lut'] } as const;
const region = obj({ memory: memoryName, base: nat, size: nat });
const tensor = obj({
  value: { type: 'string' }, shape: { type: 'array', items: nat }, dtype: { enum: ['int8', 'int16', 'int32'] },
  bits: { enum: [8, 16, 32] }, frac: int, channelFracs: ints, region: { enum: ['input', 'arena', 'output'] }, addr: nat, words: nat,
}, ['value', 'shape', 'dtype', 'bits', 'frac', 'region', 'addr', 'words']);
const shift = obj({
  terms: { type: 'integer', minimum: 1 }, shiftBits: { type: 'integer', minimum: 0, maximum: 5 },
  exponentWindow: obj({ size: { type: 'integer', minimum: 1 }, top: ints }),
  bits: obj({ activation: { enum: [8, 16] }, accumulator: { const: 32 }, accumulatorNeeded: { type: 'integer', minimum: 1, maximum: 32 }, output: { enum: [8, 16] } }),
  rshift: { type: 'array', items: { type: 'integer', minimum: -31, maximum: 31 } },
  gain: obj({ digits: nat, codes: { type: 'array', items: { type: 'array', items: { type: 'integer', minimum: -16, maximum: 16 } } } }),
  saturation: obj({ lo: int, hi: ints }),
});
const adder = obj({
  weightBits: { enum: [8, 16] }, taps: { type: 'integer', minimum: 1 },
  bits: obj({ activation: { enum: [8, 16] }, accumulator: { const: 32 }, accumulatorNeeded: { type: 'integer', minimum: 1, maximum: 32 }, output: { enum: [8, 16] } }),
  rshift: { type: 'array', items: { type: 'integer', minimum: -31, maximum: 31 } },
  gain: obj({ digits: nat, codes: { type: 'array', items: { type: 'array', items: { type: 'integer', minimum: -16, maximum: 16 } } } }),
  saturation: obj({ lo: int, hi: int }),
});
const layer = obj({
  index: nat, name: { type: 'string' },
  kind: { enum: ['ShiftConv', 'ShiftGemm', 'AdderConv', 'QLrn', 'QGateMul', 'QAdd', 'Requantize', 'Lut', 'QAveragePool', 'Relu', 'MaxPool', 'GlobalMaxPool', 'Reshape', 'Identity', 'Transpose', 'Slice', 'Pad', 'Concat'] },
  op: { type: 'string' }, inputs: { type: 'array', items: tensor }, output: tensor, attrs: { type: 'object' }, shift, adder,
  qadd: obj({ alignA: nat, alignB: nat, shift: int, lo: int, hi: int }),
  regions: { type: 'object', propertyNames: memoryName, additionalProperties: region },
  cycles: nat, alias: { type: 'boolean' },
}, ['index', 'name', 'kind', 'op', 'inputs', 'output', 'attrs', 'regions', 'cycles', 'alias']);

export const DESCRIPTOR_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/shiftaddc/shiftaddc/descriptor.schema.json',
  title: 'shiftaddc accelerator descriptor',
  ...obj({
    version: { const: 1 }, name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, lanes: { type: 'integer', minimum: 1 },
    activation: obj({ width: { enum: [8, 16] }, depth: nat, regions: { type: 'array', items: obj({ name: { type: 'string' }, base: nat, size: nat }) } }),
    memories: { type: 'array', items: obj({ name: memoryName, width: { type: 'integer', minimum: 1 }, depth: nat, file: { type: 'string' } }) },
    layers: { type: 'array', items: layer },
    schedule: { type: 'array', items: obj({ step: nat, layer: nat, op: { type: 'string' }, inputs: { type: 'array', items: nat }, output: nat, cycles: nat }) },
    bufferPlan: obj({
      arenaBytes: nat, lowerBound: nat, naiveBytes: nat, bytesPerWord: { enum: [1, 2, 4] },
      buffers: { type: 'array', items: obj({ bytes: nat, start: nat, end: nat, offset: nat, addr: nat }) },
    }),
    cycles: obj({ total: nat, lanes: { type: 'integer', minimum: 1 } }),
  }),
} as const;
