import type { Page } from 'playwright-core';
import { screenshot } from './browser.js';

/**
 * A screenshot of all of the page when the app scrolls an inner element (the shell's main
 * area) instead of the document, which a full-page screenshot would cut at the window's height:
 * the window is made as tall as the content for the shot, then put back.
 */
export async function wholePageScreenshot(page: Page, name: string): Promise<void> {
  const viewport = page.viewportSize();
  const hidden = await page.evaluate(() => {
    let most = 0;
    for (const element of document.querySelectorAll<HTMLElement>('body *')) {
      const overflow = getComputedStyle(element).overflowY;
      if ((overflow === 'auto' || overflow === 'scroll') && element.clientHeight > 200) most = Math.max(most, element.scrollHeight - element.clientHeight);
    }
    return most;
  });
  if (!viewport || hidden <= 0) return screenshot(page, name);
  await page.setViewportSize({ width: viewport.width, height: viewport.height + hidden });
  try {
    await screenshot(page, name);
  } finally {
    await page.setViewportSize(viewport);
  }
}
