import { useCallback, useEffect, useRef, type RefObject } from 'react';

/** Within this many pixels of the end counts as "at the bottom" (sub-pixel rounding, a last line). */
const SLACK_PX = 48;

/** Room left above an element brought to the top, so its first line is not flush with the edge. */
const REST_MARGIN_PX = 8;

export interface StickToBottom<T> {
  ref: RefObject<T | null>;
  /** Pins to the end again (after a send). */
  scrollToEnd: () => void;
  /** The view follows the end: the user has not scrolled up to read. */
  following: () => boolean;
  /** Brings `target`'s top to the top of the view and stops following (a run ended, a search hit). */
  restAt: (target: HTMLElement) => void;
}

/**
 * Keeps a scroll container pinned to its end while its content grows, but only while the user is
 * there: someone who scrolled up to read is never pulled down. scrollToEnd() forces it (after a send).
 */
export function useStickToBottom<T extends HTMLElement>(): StickToBottom<T> {
  const ref = useRef<T | null>(null);
  const atBottom = useRef(true);
  // Where restAt() put the view: its own scroll event (which may land near the end while charts
  // are still being drawn) must not count as the user returning to the end.
  const restedAt = useRef<number | null>(null);

  const scrollToEnd = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    atBottom.current = true;
    restedAt.current = null;
    el.scrollTop = el.scrollHeight;
  }, []);

  const following = useCallback(() => atBottom.current, []);

  const restAt = useCallback((target: HTMLElement) => {
    const el = ref.current;
    if (!el) return;
    // Set before scrolling: a chart drawn after this must not pull the view back to the end.
    atBottom.current = false;
    el.scrollTop += target.getBoundingClientRect().top - el.getBoundingClientRect().top - REST_MARGIN_PX;
    restedAt.current = el.scrollTop;
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onScroll = () => {
      if (restedAt.current !== null && Math.abs(el.scrollTop - restedAt.current) < 2) return;
      restedAt.current = null;
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

  return { ref, scrollToEnd, following, restAt };
}
