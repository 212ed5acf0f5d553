// Memory images (target-neutral): signed words as Verilog $readmemh .hex, Xilinx .coe and Intel .mif text.

/** The three text forms of one memory's initial contents. */
export interface MemoryImages { hex: string; coe: string; mif: string }

/** Two's-complement bit pattern of v in `width` bits, as an unsigned bigint (words may be wider than 53 bits). */
export function wordBits(v: number | bigint, width: number): bigint {
  const m = 1n << BigInt(width);
  const b = BigInt(v);
  return ((b % m) + m) % m;
}

/** A word as fixed-width lower-case hex (ceil(width / 4) digits). */
export function hexWord(v: number | bigint, width: number): string {
  return wordBits(v, width).toString(16).padStart(Math.ceil(width / 4), '0');
}

/** Packs signed fields of `fieldBits` each into one word, field 0 in the lowest bits. */
export function packFields(fields: readonly number[], fieldBits: number): bigint {
  let w = 0n;
  for (let i = fields.length - 1; i >= 0; i--) w = (w << BigInt(fieldBits)) | wordBits(fields[i]!, fieldBits);
  return w;
}

/**
 * Images of `words` (signed values, each fitting `width` bits). Tools reject an empty memory, so a memory
 * with no words is written with depth 1 holding 0 (its size in the descriptor stays 0).
 */
export function memoryImages(words: readonly (number | bigint)[] | ArrayLike<number>, width: number, rawTitle: string): MemoryImages {
  // The title quotes layer names from the model: printable ASCII only in a comment line of any of the three formats.
  const title = rawTitle.replace(/[^\x20-\x7e]/g, '?');
  const list = words.length > 0 ? Array.from(words as ArrayLike<number | bigint>, (v) => hexWord(v, width)) : [hexWord(0, width)];
  const hex = `// ${title}: ${words.length} words of ${width} bits\n${list.join('\n')}\n`;
  const coe = `; ${title}: ${words.length} words of ${width} bits\nmemory_initialization_radix=16;\nmemory_initialization_vector=\n${list.join(',\n')};\n`;
  const addr = Math.max(1, Math.ceil(Math.log2(list.length) / 4));
  const body = list.map((w, i) => `  ${i.toString(16).padStart(addr, '0')} : ${w};`).join('\n');
  const mif = `-- ${title}: ${words.length} words of ${width} bits\nWIDTH=${width};\nDEPTH=${list.length};\nADDRESS_RADIX=HEX;\nDATA_RADIX=HEX;\nCONTENT BEGIN\n${body}\nEND;\n`;
  return { hex, coe, mif };
}
