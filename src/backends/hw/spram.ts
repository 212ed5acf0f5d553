// iCE40 UP5K SPRAM placement of the term memory (hw/sa_act_mem.v, hw/sa_terms_mem.v, SPRAM = 1): geometry and the host's load image.
/** SB_SPRAM256KA: 16K words of 16 bits; a UP5K has four, one of which holds the activations. */
export const SPRAM_WORDS = 16384;
export const UP5K_SPRAMS = 4;

/** COLS SPRAMs side by side hold PACK term words a row, BANKS rows of 16K deep; ROWS rows are used. */
export interface SpramLayout { cols: number; pack: 1 | 2; banks: number; rows: number; sprams: number }

/**
 * The fewest SPRAMs for `depth` words of `width` bits, one or two words a row (two halve the rows when two words
 * fit the columns a row needs anyway, e.g. 2 x 24 bits in 3 SPRAMs against 24 bits in 2 SPRAMs over 2 banks).
 */
export function spramLayout(width: number, depth: number): SpramLayout {
  let best: SpramLayout | undefined;
  for (const pack of [1, 2] as const) {
    const cols = Math.ceil((pack * width) / 16);
    const rows = Math.max(1, Math.ceil(depth / pack));
    const banks = Math.ceil(rows / SPRAM_WORDS);
    const l = { cols, pack, banks, rows, sprams: cols * banks };
    if (cols <= 4 && banks <= 4 && (!best || l.sprams < best.sprams)) best = l;
  }
  return best ?? { cols: Math.ceil(width / 16), pack: 1, banks: Math.ceil(depth / SPRAM_WORDS), rows: depth, sprams: Math.ceil(width / 16) * Math.ceil(depth / SPRAM_WORDS) };
}

/** Why a model's memories do not fit the UP5K's SPRAMs (terms and one for the activations), or undefined. */
export function spramMisfit(l: SpramLayout, actDepth: number): string | undefined {
  if (actDepth > SPRAM_WORDS) return `its activation memory (${actDepth} words) is deeper than one SPRAM (${SPRAM_WORDS})`;
  if (l.cols > 4 || l.banks > 4 || l.sprams + 1 > UP5K_SPRAMS) return `its term memory needs ${l.sprams} SPRAMs, more than the ${UP5K_SPRAMS - 1} left beside the activations`;
  return undefined;
}

/** The 16-bit words the host writes, column by column, rows in order: word (col, row) to address {1, 0, col, row}. */
export function spramImage(words: readonly (number | bigint)[], width: number, l: SpramLayout): number[] {
  const mask = (1n << BigInt(width)) - 1n;
  const out: number[] = [];
  for (let c = 0; c < l.cols; c++) {
    for (let r = 0; r < l.rows; r++) {
      let row = 0n;
      for (let h = l.pack - 1; h >= 0; h--) row = (row << BigInt(width)) | (BigInt(words[r * l.pack + h] ?? 0) & mask);
      out.push(Number((row >> BigInt(16 * c)) & 0xffffn));
    }
  }
  return out;
}
