import { describe, expect, it } from 'vitest';
import { threadEntry } from './worker-thread-start.js';

describe('threadEntry', () => {
  it('names the entry beside the module, .ts under tsx (its URL may carry a query inside a worker) and .js when built', () => {
    expect(threadEntry('reader-entry', 'file:///app/src/usage/reader.ts').href).toBe('file:///app/src/usage/reader-entry.ts');
    expect(threadEntry('reader-entry', 'file:///app/src/usage/reader.ts?tsx-namespace=0f3a').href).toBe('file:///app/src/usage/reader-entry.ts');
    expect(threadEntry('reader-entry', 'file:///app/dist/usage/reader.js').href).toBe('file:///app/dist/usage/reader-entry.js');
  });
});
