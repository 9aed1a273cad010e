// Headless Debian Chromium driven by playwright-core: one browser per test file, a fresh
// context (cookies, storage) per test, screenshots of key pages, and a screenshot plus the
// page's HTML when a test fails.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { baseUrl, screenshotsDir } from './env.mjs';

/** The system browser; playwright-core never downloads one of its own. */
const EXECUTABLE = process.env.KESSAI_E2E_CHROMIUM || '/usr/bin/chromium';

/** Flags for a quiet headless Chromium in a container: no sandbox, no GPU, no calls home. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** How long one step (a click, a navigation, a wait for text) may take. */
const STEP_TIMEOUT_MS = 30_000;

/** A file name made of the letters and digits of `name`. */
function fileName(name) {
  return name.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 120);
}

/** Saves a full-page screenshot of what the page shows now as `<name>.png`. */
export async function screenshot(page, name) {
  await mkdir(screenshotsDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotsDir, `${fileName(name)}.png`), fullPage: true });
}

/** Saves a screenshot and the HTML of the page a failed test ended on. */
async function captureFailure(page, testName) {
  const base = path.join(screenshotsDir, `failed-${fileName(testName)}`);
  try {
    await mkdir(screenshotsDir, { recursive: true });
    await page.screenshot({ path: `${base}.png`, fullPage: true });
    await writeFile(`${base}.html`, `<!-- ${page.url()} -->\n${await page.content()}`);
  } catch (error) {
    console.error(`could not capture the failed page: ${error.message}`);
  }
}

/**
 * Starts Chromium. `test(name, chrome.withPage(async (page, t) => …))` runs a test body
 * on a new page whose relative URLs resolve against the server under test.
 *
 * Whatever a page's Content-Security-Policy blocks (Chromium reports it on the console)
 * fails the test that was running, even when the test did not notice, or `close()` when
 * no test was.
 */
export async function launch() {
  const browser = await chromium.launch({ executablePath: EXECUTABLE, args: ARGS });
  /** What the Content-Security-Policy blocked since the last check. */
  const blocked = [];
  /** What it blocked since the last check, as a message (empty when nothing). */
  function takeBlocked() {
    return blocked.length ? `the Content-Security-Policy blocked:\n${blocked.splice(0).join('\n')}` : '';
  }
  /** Throws when the Content-Security-Policy blocked anything since the last check. */
  function checkBlocked() {
    const found = takeBlocked();
    if (found) {
      throw new Error(found);
    }
  }
  /** A new page in a context of its own (no cookies shared with other tests). */
  async function newPage() {
    const context = await browser.newContext({
      baseURL: baseUrl,
      locale: 'ja-JP',
      timezoneId: 'Asia/Tokyo',
      viewport: { width: 1280, height: 900 },
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    context.on('console', (message) => {
      if (message.type() === 'error' && message.text().includes('Content Security Policy')) {
        blocked.push(`${message.page()?.url() ?? '(a page)'}: ${message.text()}`);
      }
    });
    return context.newPage();
  }
  return {
    close: async () => {
      await browser.close();
      checkBlocked();
    },
    newPage,
    /** Wraps a test body; a failure leaves a screenshot and the HTML of the page. */
    withPage(body) {
      return async (t) => {
        checkBlocked();
        const page = await newPage();
        try {
          await body(page, t);
          checkBlocked();
        } catch (error) {
          await captureFailure(page, t.name);
          // What the policy blocked is often why the test failed.
          const found = takeBlocked();
          if (found && error instanceof Error) {
            error.message += `\n${found}`;
          }
          throw error;
        } finally {
          await page.context().close();
        }
      };
    },
  };
}

/**
 * Runs `action` (a click that opens a confirm() dialog), accepts the dialog and returns its
 * message. Playwright would otherwise dismiss it, as if the operator pressed キャンセル.
 */
export async function accepting(page, action) {
  const dialog = new Promise((resolve) => {
    page.once('dialog', async (d) => {
      const message = d.message();
      await d.accept();
      resolve(message);
    });
  });
  await action();
  return dialog;
}

/**
 * Runs `action` and waits until the page has loaded the document it led to (the answer of
 * a form post, after its redirect), even when that document has the same URL.
 */
export async function navigating(page, action) {
  const navigated = page.waitForEvent('framenavigated', {
    predicate: (frame) => frame === page.mainFrame(),
  });
  const result = await action();
  await navigated;
  await page.waitForLoadState();
  return result;
}

/**
 * Reloads the page until `locator` shows, for what the server does in the background (a
 * pushed notification processed by a job). Throws after `timeoutMs`.
 */
export async function reloadUntil(page, locator, { timeoutMs = 10_000, what = 'it' } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (!(await locator.count())) {
    if (Date.now() > deadline) {
      throw new Error(`${what} did not show within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    await page.reload();
  }
}
