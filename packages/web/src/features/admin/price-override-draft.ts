import type { PriceOverrideDto } from '@tally/protocol';

/** The price form's text fields. */
export interface Draft {
  model: string;
  provider: string;
  inputPerMTok: string;
  outputPerMTok: string;
  cacheReadPerMTok: string;
  cacheWritePerMTok: string;
}

export const EMPTY_DRAFT: Draft = { model: '', provider: '', inputPerMTok: '', outputPerMTok: '', cacheReadPerMTok: '', cacheWritePerMTok: '' };

/** The draft as the request, or the reason it is not one. */
export function overrideOfDraft(draft: Draft): PriceOverrideDto | string {
  const model = draft.model.trim();
  if (!model) return 'Name the model.';
  const number = (text: string, label: string, required: boolean): number | undefined | string => {
    if (text.trim() === '') return required ? `${label} is required.` : undefined;
    const n = Number(text);
    return Number.isFinite(n) && n >= 0 ? n : `${label} must be a number of dollars, 0 or more.`;
  };
  const input = number(draft.inputPerMTok, 'Input price', true);
  const output = number(draft.outputPerMTok, 'Output price', true);
  const cacheRead = number(draft.cacheReadPerMTok, 'Cache read price', false);
  const cacheWrite = number(draft.cacheWritePerMTok, 'Cache write price', false);
  for (const value of [input, output, cacheRead, cacheWrite]) if (typeof value === 'string') return value;
  return {
    model,
    ...(draft.provider.trim() ? { provider: draft.provider.trim() } : {}),
    inputPerMTok: input as number,
    outputPerMTok: output as number,
    ...(cacheRead !== undefined ? { cacheReadPerMTok: cacheRead as number } : {}),
    ...(cacheWrite !== undefined ? { cacheWritePerMTok: cacheWrite as number } : {}),
  };
}

export const draftOf = (o: PriceOverrideDto): Draft => ({
  model: o.model,
  provider: o.provider ?? '',
  inputPerMTok: String(o.inputPerMTok),
  outputPerMTok: String(o.outputPerMTok),
  cacheReadPerMTok: o.cacheReadPerMTok === undefined ? '' : String(o.cacheReadPerMTok),
  cacheWritePerMTok: o.cacheWritePerMTok === undefined ? '' : String(o.cacheWritePerMTok),
});

