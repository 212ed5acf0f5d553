// Host build of the CMSIS-NN peer (gcc -O2): top-1 of a generated model over many int8 NHWC images at once.
// hostTop1(work, name, source, inputs Int8Array[], inLen, outLen) -> predicted class per image.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cmsisDir, cmsisLib } from './cmsis-build.mjs';

const MAIN = (name, inLen, outLen) => `#include <stdio.h>
#include <stdint.h>
int ${name}_run(const int8_t *in, int8_t *out);
int main(int argc, char **argv) {
  static int8_t x[${inLen}], y[${outLen}];
  FILE *f = fopen(argv[1], "rb"), *g = fopen(argv[2], "wb");
  if (!f || !g || argc < 3) return 2;
  while (fread(x, 1, ${inLen}, f) == ${inLen}) {
    int rc = ${name}_run(x, y), best = 0;
    for (int i = 1; i < ${outLen}; i++) if (y[i] > y[best]) best = i;
    if (rc) return 3;
    fputc(best, g);
  }
  return fclose(g);
}
`;

export function hostTop1(work, name, source, images, inLen, outLen) {
  const dir = path.join(work, `host-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.c'), source);
  fs.writeFileSync(path.join(dir, 'main.c'), MAIN(name, inLen, outLen));
  const lib = cmsisLib(work, 'host-O2', 'gcc', ['-O2']);
  const exe = path.join(dir, 'a.out');
  execFileSync('gcc', ['-O2', '-std=c99', '-I', path.join(cmsisDir(), 'Include'), '-o', exe, path.join(dir, 'main.c'), path.join(dir, 'model.c'), lib]);
  const inFile = path.join(dir, 'in.bin');
  fs.writeFileSync(inFile, Buffer.concat(images.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength))));
  execFileSync(exe, [inFile, path.join(dir, 'out.bin')]);
  return Uint8Array.from(fs.readFileSync(path.join(dir, 'out.bin')));
}
