// Every page the browser tests visit is checked with axe-core's WCAG 2.0/2.1 A and AA rules.
//
// `watchBrowser` wraps the browser the harness hands out, so that each page of each context it
// opens is a proxy: before any action on the page or on one of its locators (goto, click, fill,
// waitFor, screenshot, …) the document the page shows is checked once, after it has finished
// loading. A page reached by a click or a form submission is therefore checked before the test
// goes on, and the last page a test sees is checked when its context or the browser is closed.
// A violation fails the action with the rule, its help, the elements and the page's URL.
//
// axe is evaluated through the DevTools protocol, which the pages' Content-Security-Policy does
// not govern, so the tests see the headers the server really sends.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const MARK = '__renkeiAxeChecked';

// Methods that answer at once (or hand back a locator) rather than act: they are not checked.
const PASS = new Set([
  'on', 'once', 'off', 'addListener', 'removeListener', 'removeAllListeners', 'prependListener',
  'url', 'isClosed', 'mainFrame', 'frames', 'frame', 'viewportSize', 'workers', 'video',
  'setDefaultTimeout', 'setDefaultNavigationTimeout', 'toString', 'describe',
]);
const LOCATORS = new Set([
  'locator', 'getByRole', 'getByText', 'getByLabel', 'getByPlaceholder', 'getByAltText', 'getByTitle',
  'getByTestId', 'first', 'last', 'nth', 'filter', 'and', 'or',
]);

function format(url, violations) {
  const lines = violations.flatMap((v) => [
    `- ${v.id} (${v.impact}): ${v.help}`,
    ...v.nodes.map((n) => `    at ${n.target.join(' ')}`),
  ]);
  return `axe-core (${TAGS.join(', ')}) found ${violations.length} violation(s) on ${url}:\n${lines.join('\n')}`;
}

/// Checks the document `page` shows, unless it was checked already. Pages that are not web
/// pages (about:blank) are skipped.
async function check(page) {
  if (page.isClosed()) return;
  await page.waitForLoadState('load');
  const url = page.url();
  if (!/^https?:/.test(url)) return;
  const fresh = await page.evaluate((mark) => {
    if (window[mark]) return false;
    window[mark] = true;
    return true;
  }, MARK);
  if (!fresh) return;
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const res = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return res.violations.map(({ id, impact, help, nodes }) => ({ id, impact, help, nodes: nodes.map((n) => ({ target: n.target })) }));
  }, TAGS);
  if (violations.length) throw new Error(format(url, violations));
}

function watchedLocator(locator, page) {
  return new Proxy(locator, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      if (prop === 'page') return () => page;
      if (PASS.has(prop)) return value.bind(target);
      if (LOCATORS.has(prop)) return (...args) => watchedLocator(value.apply(target, args), page);
      return async (...args) => {
        await check(page.unwatched);
        return value.apply(target, args);
      };
    },
  });
}

function watchedPage(page, context) {
  const proxy = new Proxy(page, {
    get(target, prop) {
      if (prop === 'unwatched') return target;
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      if (prop === 'context') return () => context;
      if (PASS.has(prop)) return value.bind(target);
      if (LOCATORS.has(prop)) return (...args) => watchedLocator(value.apply(target, args), proxy);
      return async (...args) => {
        await check(target);
        return value.apply(target, args);
      };
    },
  });
  return proxy;
}

/// Closes `closeable` even when the pages it holds fail their check, then reports the failure.
async function checkThenClose(pages, close) {
  let failure;
  for (const page of pages) {
    try { await check(page); } catch (e) { failure ??= e; }
  }
  await close();
  if (failure) throw failure;
}

function watchedContext(context) {
  const proxy = new Proxy(context, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'newPage') return async () => watchedPage(await target.newPage(), proxy);
      if (prop === 'close') return (...args) => checkThenClose(target.pages(), () => target.close(...args));
      return value.bind(target);
    },
  });
  return proxy;
}

/// The browser, with every page of every context it opens checked by axe-core.
export function watchBrowser(browser) {
  return new Proxy(browser, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'newContext') return async (...args) => watchedContext(await target.newContext(...args));
      if (prop === 'newPage') {
        return async (...args) => {
          const context = watchedContext(await target.newContext(...args));
          return context.newPage();
        };
      }
      if (prop === 'close') {
        return (...args) => checkThenClose(target.contexts().flatMap((c) => c.pages()), () => target.close(...args));
      }
      return value.bind(target);
    },
  });
}
