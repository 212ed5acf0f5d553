// formatCount prints counts as toLocaleString('en-US') does, without loading Intl.
import { describe, expect, it } from 'vitest';
import { formatCount } from '../src/format-count.js';

describe('formatCount', () => {
  it('groups thousands like en-US', () => {
    for (const n of [0, 7, 999, 1000, 12345, 999999, 1000000, 416520, 123456789012, -1234567]) {
      expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
    }
  });
});
