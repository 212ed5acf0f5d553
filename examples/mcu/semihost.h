// semihost.h: the two ARM semihosting calls the demo needs (bkpt 0xab; QEMU: -semihosting-config enable=on).
#ifndef SEMIHOST_H_
#define SEMIHOST_H_

#include <stdint.h>

#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define ADP_Stopped_ApplicationExit 0x20026
#define ADP_Stopped_RunTimeErrorUnknown 0x20023

static inline uint32_t semihost(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* Writes a NUL-terminated string to the host's stdout. */
static inline void sh_puts(const char *s) { (void)semihost(SYS_WRITE0, s); }

/* Ends the emulation: QEMU exits 0 for ApplicationExit, 1 for any other reason (32-bit ABI: r1 is the reason). */
static inline void __attribute__((noreturn)) sh_exit(int ok) {
  for (;;) (void)semihost(SYS_EXIT, (const void *)(uintptr_t)(ok ? ADP_Stopped_ApplicationExit : ADP_Stopped_RunTimeErrorUnknown));
}

#endif
