// Unit energies (45 nm, pJ) for the energy report: Horowitz ISSCC 2014, shifts from ShiftAddNet (NeurIPS 2020).

/** One priced operation: its energy and where the figure comes from. */
export interface UnitEnergy { pJ: number; source: string }

const HOROWITZ = 'M. Horowitz, "Computing\'s energy problem (and what we can do about it)", ISSCC 2014, 45 nm, 0.9 V';
const SHIFTADD = 'H. You et al., "ShiftAddNet: A Hardware-Inspired Deep Network", NeurIPS 2020, Table 1 (45 nm ASIC)';

/** Every figure the report uses, keyed as energy.json lists them. */
export const UNIT_ENERGY = {
  fp32Mult: { pJ: 3.7, source: HOROWITZ },
  fp32Add: { pJ: 0.9, source: HOROWITZ },
  int8Mult: { pJ: 0.2, source: HOROWITZ },
  int8Add: { pJ: 0.03, source: HOROWITZ },
  int32Add: { pJ: 0.1, source: HOROWITZ },
  int8Shift: { pJ: 0.024, source: SHIFTADD },
  /** An 8 KB SRAM (cache) access of 64 bits; accesses are priced per bit moved, rounded to no word. */
  sram64: { pJ: 10, source: `${HOROWITZ} (8 KB cache, 64-bit access)` },
} as const satisfies Record<string, UnitEnergy>;

/** How each number format prices its ops: multiply, add, shift, comparison (priced as an add), LUT read bits. */
export interface Pricing { mult: number; add: number; shift: number; compare: number }

/**
 * ShiftAddNet's convention: every operation of a fixed-point network at the FIX8 figures, every float one at
 * FP32. `wide` prices integer adds and comparisons at 32 bits instead (an int32 accumulator), for both the
 * INT8 MAC and the shift-add network: a sensitivity figure, reported next to the main one.
 */
export function pricing(format: 'fp32' | 'int8' | 'shiftadd', wide = false): Pricing {
  const u = UNIT_ENERGY;
  if (format === 'fp32') return { mult: u.fp32Mult.pJ, add: u.fp32Add.pJ, shift: u.fp32Add.pJ, compare: u.fp32Add.pJ };
  const add = wide ? u.int32Add.pJ : u.int8Add.pJ;
  return { mult: u.int8Mult.pJ, add, shift: u.int8Shift.pJ, compare: add };
}
