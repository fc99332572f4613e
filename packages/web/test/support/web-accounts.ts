import type { Browser, BrowserContext, Page } from 'playwright-core';

/** One person in their own browser context (own cookies: own session). */
export interface WebAccount {
  context: BrowserContext;
  page: Page;
  email: string;
  password: string;
}

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 812 };
const UI = 10_000;
/**
 * The wait for the first connect after a log-in: about 0.4 s on a quiet machine; generous because
 * the suite runs two files on 2 cores. (Waits of over 10 s seen in CI were the indicator missing the
 * socket's open, fixed in ConnectionIndicator, not load.)
 */
const FIRST_CONNECT = 30_000;

/** A new account made through the sign-up form, signed in, on the app's start page. */
export async function signUpInBrowser(browser: Browser, baseUrl: string, label: string, password = 'correct horse battery staple'): Promise<WebAccount> {
  const context = await browser.newContext({ viewport: LAPTOP });
  const page = await context.newPage();
  const email = `${label}-${process.pid}-${Date.now()}@example.com`;
  await page.goto(baseUrl, { timeout: UI });
  await page.getByRole('tab', { name: 'Sign up' }).click({ timeout: UI });
  await page.getByLabel('Email').fill(email, { timeout: UI });
  await page.getByLabel('Password').fill(password, { timeout: UI });
  await page.getByRole('button', { name: 'Create account' }).click({ timeout: UI });
  await page.getByRole('button', { name: 'Log out' }).waitFor({ timeout: UI });
  return { context, page, email, password };
}

/** The same account logged in through the form in a fresh context (a second device). */
export async function logInInBrowser(browser: Browser, baseUrl: string, email: string, password: string): Promise<WebAccount> {
  const context = await browser.newContext({ viewport: LAPTOP });
  const page = await context.newPage();
  await page.goto(baseUrl, { timeout: UI });
  await submitLogIn(page, email, password);
  await page.getByRole('button', { name: 'Log out' }).waitFor({ timeout: UI });
  return { context, page, email, password };
}

/** Fills and sends the log-in form; the caller waits for what should follow. */
export async function submitLogIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('tab', { name: 'Log in' }).click({ timeout: UI });
  await page.getByLabel('Email').fill(email, { timeout: UI });
  await page.getByLabel('Password').fill(password, { timeout: UI });
  await page.locator('form button[type=submit]').click({ timeout: UI });
}

/** Opens the app, logs in through the form and waits for the live connection (the chat's start). */
export async function logInAndConnect(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(baseUrl, { timeout: UI });
  await submitLogIn(page, email, password);
  try {
    await page.getByRole('status', { name: 'Connection: Connected' }).waitFor({ timeout: FIRST_CONNECT });
  } catch (error) {
    // Say where it stopped: the indicator's state and its reason (the title), or the page's text.
    const indicator = page.locator('.connection').first();
    const shown = (await indicator.count()) > 0 ? `${await indicator.getAttribute('aria-label')} (${await indicator.getAttribute('title')})` : `no indicator; the page says: ${(await page.locator('body').innerText()).slice(0, 300)}`;
    throw new Error(`not connected ${FIRST_CONNECT} ms after logging in: ${shown}`, { cause: error });
  }
}
