// Integer counts with thousands separators ("1,234,567"), as toLocaleString('en-US') prints them.

/** Without Intl: toLocaleString's first call loads ICU's number formatter, ~12 ms of a LeNet compile's CLI run. */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
