import remend from 'remend';

/** A last line that is only a list marker: the item's words have not arrived yet. */
const BARE_LIST_MARKER = /(^|\n)[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]*$/;

/**
 * The part of a still-streaming answer that can be shown as it will finally read: remend (the
 * repair step of the `streamdown` library) closes unfinished emphasis, code and links, and a list
 * marker whose item has not arrived is held back, so no empty "1." flashes up.
 */
export function showableStreamedMarkdown(text: string): string {
  return remend(text.replace(BARE_LIST_MARKER, '$1'));
}
