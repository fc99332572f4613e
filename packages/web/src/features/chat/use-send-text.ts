import { useCallback, useState, type KeyboardEvent } from 'react';

/**
 * Sends a text with a "sending" state; resolves true once the server took it, false when it was
 * refused (the caller's parent shows why, and the text stays for another try).
 */
export function useSendText(onSend: (text: string) => Promise<void>): { sending: boolean; send: (text: string) => Promise<boolean> } {
  const [sending, setSending] = useState(false);
  const send = useCallback(
    async (text: string) => {
      setSending(true);
      try {
        await onSend(text);
        return true;
      } catch {
        return false;
      } finally {
        setSending(false);
      }
    },
    [onSend],
  );
  return { sending, send };
}

/** Enter sends; Shift+Enter (a new line) and Enter while an input method composes do not. */
export function isSendKey(e: KeyboardEvent<HTMLTextAreaElement>): boolean {
  return e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing;
}
