import { describe, expect, it } from 'vitest';
import { containsPattern } from './like-pattern.js';

describe('containsPattern', () => {
  it('wraps plain text in wildcards', () => {
    expect(containsPattern('cache')).toBe('%cache%');
  });
  it('escapes wildcards and the escape character, so they match literally', () => {
    expect(containsPattern('100%_a\\b')).toBe('%100\\%\\_a\\\\b%');
  });
});
