import { describe, expect, it } from 'vitest';
import { createIngestGate } from './ingest-gate.js';

describe('createIngestGate', () => {
  it('admits up to its limit, refuses past it, and frees a slot once per release', () => {
    const gate = createIngestGate(2);
    const a = gate.tryEnter();
    const b = gate.tryEnter();
    expect(a && b).toBeTruthy();
    expect(gate.tryEnter()).toBeNull();
    a!();
    a!();
    expect(gate.inFlight).toBe(1);
    expect(gate.tryEnter()).not.toBeNull();
    expect(gate.tryEnter()).toBeNull();
  });
});
