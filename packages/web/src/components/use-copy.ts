import { useCallback, useEffect, useRef, useState } from 'react';

/** How long "Copied" stays before the button reads as before. */
const SHOWN_MS = 2500;

/**
 * Copies text to the clipboard and says how it went: true (copied), false (no clipboard
 * permission, or a page on plain http), null (nothing to say, again after a moment).
 */
export function useCopy(): { copied: boolean | null; copy: (text: string) => Promise<void> } {
  const [copied, setCopied] = useState<boolean | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = useCallback(async (text: string) => {
    clearTimeout(timer.current);
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
    }
    timer.current = setTimeout(() => setCopied(null), SHOWN_MS);
  }, []);
  return { copied, copy };
}
