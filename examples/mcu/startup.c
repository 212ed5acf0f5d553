// startup.c: vector table and reset handler for ARMv6-M/v7-M (no crt0): copy .data, zero .bss, run main, exit.
#include <stdint.h>
#include "semihost.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];
int main(void);

void Reset_Handler(void) __attribute__((noreturn));
void Reset_Handler(void) {
  uint32_t *src = _sidata, *dst = _sdata;
#if defined(__ARM_FP)
  /* Hard-float builds (e.g. the float peer of bench/mcu-cycles.mjs on the M4F) need CP10/CP11 enabled first. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* SCB->CPACR */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  while (dst < _edata) *dst++ = *src++;
  for (dst = _sbss; dst < _ebss; dst++) *dst = 0;
  sh_exit(main() == 0);
}

/* Any exception (HardFault on a bad access, an unexpected interrupt) ends the run with a failure. */
static void Default_Handler(void) {
  sh_puts("fault: unexpected exception\n");
  sh_exit(0);
}

typedef void (*vector_t)(void);

/* The 16 core vectors; no device interrupts are enabled, so the table stops there. */
__attribute__((section(".vectors"), used)) const vector_t vectors[16] = {
  (vector_t)(uintptr_t)_estack, /* initial SP */
  Reset_Handler,
  Default_Handler, /* NMI */
  Default_Handler, /* HardFault */
  Default_Handler, Default_Handler, Default_Handler, /* MemManage, BusFault, UsageFault (v7-M) */
  0, 0, 0, 0,
  Default_Handler, /* SVCall */
  Default_Handler, 0,
  Default_Handler, /* PendSV */
  Default_Handler, /* SysTick */
};
