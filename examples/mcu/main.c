// main.c: runs the generated network once on the image in input.h and prints the result over semihosting.
//   out: <OUTPUT bytes in memory order, hex>   top1: <class, hex>   stack: <bytes used by the run, hex>
// With -DMCU_BENCH (mps2-an385/an386 only) it also prints CMSDK timer0 ticks around the call and around a
// calibration loop, for bench/mcu-cycles.mjs: run with -icount so ticks count instructions.
#include <stdint.h>
#include "input.h" /* generated: includes NAME.h, defines MODEL_RUN, model_in_t, model_out_t, model_input[] */
#include "semihost.h"

extern uint32_t _sstack[];

static model_out_t out[MODEL_OUTPUT_SIZE];
static char line[64];

static const char HEX[] = "0123456789abcdef";

static char *put_hex(char *p, uint32_t v, int digits) {
  int i;
  for (i = digits - 1; i >= 0; i--) *p++ = HEX[(v >> (4 * i)) & 15];
  return p;
}

static void print_hex32(const char *label, uint32_t v) {
  char *p = line;
  while (*label) *p++ = *label++;
  p = put_hex(p, v, 8);
  *p++ = '\n';
  *p = 0;
  sh_puts(line);
}

#ifdef MCU_BENCH
/* CMSDK APB timer0 of the MPS2 FPGA images: counts down at the 25 MHz system clock. */
#define TIMER0 ((volatile uint32_t *)0x40000000u)
#define T_CTRL 0
#define T_VALUE 1
#define T_RELOAD 2

static uint32_t __attribute__((noinline)) spin(uint32_t n) {
  /* Exactly 2n instructions: n x (subs; bne). */
  __asm__ volatile(".syntax unified\n1:\tsubs %0, %0, #1\n\tbne 1b\n\t.syntax divided" : "+l"(n) : : "cc");
  return n;
}

static void bench(void) {
  uint32_t a, b, n;
  static const uint32_t loops[2] = {1000u, 101000u};
  int i;
  TIMER0[T_CTRL] = 0;
  TIMER0[T_RELOAD] = 0xFFFFFFFFu;
  TIMER0[T_VALUE] = 0xFFFFFFFFu;
  TIMER0[T_CTRL] = 1;
  a = TIMER0[T_VALUE];
  b = TIMER0[T_VALUE];
  print_hex32("empty: ", a - b);
  for (i = 0; i < 2; i++) {
    n = loops[i];
    a = TIMER0[T_VALUE];
    (void)spin(n);
    b = TIMER0[T_VALUE];
    print_hex32(i ? "loop1: " : "loop0: ", a - b);
  }
  a = TIMER0[T_VALUE];
  (void)MODEL_RUN(model_input, out);
  b = TIMER0[T_VALUE];
  print_hex32("run: ", a - b);
}
#endif

int main(void) {
  volatile uint32_t *w;
  uint32_t sp, used;
  int rc, i, best;
  char *p;
  /* Paint the unused stack (below the current frame) so the run's high-water mark can be measured. */
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  for (w = (volatile uint32_t *)_sstack; (uint32_t)(uintptr_t)w < sp - 64; w++) *w = 0xA5A5A5A5u;
#ifdef MCU_BENCH
  bench();
#endif
  rc = MODEL_RUN(model_input, out);
  for (w = (volatile uint32_t *)_sstack; (uint32_t)(uintptr_t)w < sp && *w == 0xA5A5A5A5u; w++) {}
  used = sp - (uint32_t)(uintptr_t)w;
  if (rc != 0) {
    sh_puts("error: run returned nonzero\n");
    return 1;
  }
  sh_puts("out:");
  for (i = 0; i < (int)sizeof out; i += 16) {
    int j;
    p = line;
    for (j = i; j < i + 16 && j < (int)sizeof out; j++) {
      *p++ = ' ';
      p = put_hex(p, ((const uint8_t *)out)[j], 2);
    }
    *p = 0;
    sh_puts(line);
  }
  sh_puts("\n");
  best = 0;
  for (i = 1; i < MODEL_OUTPUT_SIZE; i++) if (out[i] > out[best]) best = i;
  print_hex32("top1: ", (uint32_t)best);
  print_hex32("stack: ", used);
  sh_puts("done\n");
  return 0;
}
