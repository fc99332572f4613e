import { describe, expect, it } from 'vitest';
import { EMPTY_DRAFT, draftOf, overrideOfDraft } from './price-override-draft.js';

describe('price override form', () => {
  it('reads a full draft as an override and back', () => {
    const draft = { model: ' gpt-4o ', provider: 'openai', inputPerMTok: '2.5', outputPerMTok: '10', cacheReadPerMTok: '1.25', cacheWritePerMTok: '' };
    const override = overrideOfDraft(draft);
    expect(override).toEqual({ model: 'gpt-4o', provider: 'openai', inputPerMTok: 2.5, outputPerMTok: 10, cacheReadPerMTok: 1.25 });
    expect(draftOf(override as Exclude<typeof override, string>)).toEqual({ ...draft, model: 'gpt-4o' });
  });

  it('says what is wrong: no model, a missing or negative or non-numeric price', () => {
    expect(overrideOfDraft(EMPTY_DRAFT)).toBe('Name the model.');
    expect(overrideOfDraft({ ...EMPTY_DRAFT, model: 'm', outputPerMTok: '1' })).toBe('Input price is required.');
    expect(overrideOfDraft({ ...EMPTY_DRAFT, model: 'm', inputPerMTok: '-1', outputPerMTok: '1' })).toMatch(/Input price must be/);
    expect(overrideOfDraft({ ...EMPTY_DRAFT, model: 'm', inputPerMTok: '1', outputPerMTok: '1', cacheReadPerMTok: 'abc' })).toMatch(/Cache read price must be/);
  });

  it('leaves out the provider when blank: the override holds for any provider', () => {
    expect(overrideOfDraft({ ...EMPTY_DRAFT, model: 'm', inputPerMTok: '0', outputPerMTok: '0' })).toEqual({ model: 'm', inputPerMTok: 0, outputPerMTok: 0 });
  });
});
