import { useCallback, useEffect, useRef, type RefObject } from 'react';

/** Within this many pixels of the end counts as "at the bottom" (sub-pixel rounding, a last line). */
const SLACK_PX = 48;

/**
 * Keeps a scroll container pinned to its end while its content grows, but only while the user is
 * there: someone who scrolled up to read is never pulled down. scrollToEnd() forces it (after a send).
 */
export function useStickToBottom<T extends HTMLElement>(): { ref: RefObject<T | null>; scrollToEnd: () => void } {
  const ref = useRef<T | null>(null);
  const atBottom = useRef(true);

  const scrollToEnd = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    atBottom.current = true;
    el.scrollTop = el.scrollHeight;
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onScroll = () => {
      atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight <= SLACK_PX;
    };
    // Content growth shows as a size change of the children, not as a scroll event.
    const follow = () => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    };
    const resize = new ResizeObserver(follow);
    const watchChildren = () => {
      resize.disconnect();
      for (const child of Array.from(el.children)) resize.observe(child);
    };
    const mutations = new MutationObserver(() => {
      watchChildren();
      follow();
    });
    watchChildren();
    mutations.observe(el, { childList: true });
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      el.removeEventListener('scroll', onScroll);
      resize.disconnect();
      mutations.disconnect();
    };
  }, []);

  return { ref, scrollToEnd };
}
