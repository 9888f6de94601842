// Shared helpers for the panel e2e tests: open the served app in headless Chromium, wait for
// panels and weights through window.genlab, click real widgets by their remembered rectangles,
// and save screenshots (test-results/).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.mjs';
import { launchChromium, collectPageErrors } from './browser.mjs';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const siteDir = process.env.GENLAB_SITE_DIR || path.join(repo, 'build/site');
export const resultsDir = path.join(repo, 'test-results');

// `encoding`: how the server sends files (scripts/static-server.mjs: identity, gzip, br, chunked).
// With `browser` given, that browser is shared and close() leaves it open.
export async function startApp({ root = siteDir, encoding = 'identity', browser = null } = {}) {
  if (!fs.existsSync(path.join(root, 'genlab_app.wasm'))) {
    throw new Error(`${root}/genlab_app.wasm is missing: run bash scripts/setup.sh`);
  }
  const server = await startServer({ root, port: 0, encoding });
  const shared = !!browser;
  browser = browser || await launchChromium();
  return { server, browser, close: async () => { if (!shared) await browser.close(); await server.close(); } };
}

// Opens the app in a new context; resolves when window.genlab.ready() and `panel` is active.
// `beforeLoad(context, page)` runs before the app is loaded (init scripts, routes).
export async function openPage(env, { panel = 'gan', width = 1280, height = 800, dpr = 1, hasTouch = false,
                                     acceptDownloads = false, beforeLoad = null } = {}) {
  const context = await env.browser.newContext({ viewport: { width, height }, deviceScaleFactor: dpr, hasTouch,
                                                 acceptDownloads });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  if (beforeLoad) await beforeLoad(context, page);
  await page.goto(env.server.url);
  await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 60_000 });
  if (panel) await page.evaluate((p) => window.genlab.set({ panel: p }), panel);
  await frames(page, 2);
  return { context, page, errors };
}

// Waits for n animation frames (the app draws once per frame).
export function frames(page, n = 2) {
  return page.evaluate((count) => new Promise((resolve) => {
    let left = count;
    const step = () => (--left <= 0 ? resolve() : requestAnimationFrame(step));
    requestAnimationFrame(step);
  }), n);
}

// Polls genlab.query(panel, request) until it returns without an error; resolves to the result.
export async function queryWhenReady(page, panel, request, timeout = 90_000) {
  const handle = await page.waitForFunction(({ p, r }) => {
    try { return window.genlab.query(p, r); } catch { return null; }
  }, { p: panel, r: request }, { timeout, polling: 100 });
  return handle.jsonValue();
}

export async function query(page, panel, request) {
  return page.evaluate(({ p, r }) => window.genlab.query(p, r), { p: panel, r: request });
}

export async function weightsStatus(page, file) {
  return page.evaluate((f) => window.genlab.state().weights[f] || null, file);
}

// Uploads weights as a user does: shows the Train panel, clicks its real "Upload .safetensors..."
// button and answers the browser's file chooser. `file`: a path or Playwright's
// { name, mimeType, buffer }. Resolves once the chooser holds the file; the page then reads it
// (File.arrayBuffer) and hands it to the panel, so wait for the outcome (slot or panel error).
export async function uploadThroughButton(page, file) {
  await page.evaluate(() => window.genlab.set({ panel: 'train' }));
  // The panel lays out again once its training data has arrived: wait for that, then for the
  // button to stay put for a few frames.
  await page.waitForFunction(() => window.genlab.state().state.ready, null, { timeout: 60_000 });
  const uploadRect = () => page.evaluate(() => JSON.stringify(window.genlab.state().state.widgets?.upload ?? null));
  let rect = null;
  for (let tries = 0; tries < 50; ++tries) {
    const before = await uploadRect();
    await frames(page, 3);
    if (before !== 'null' && before === await uploadRect()) { rect = JSON.parse(before); break; }
  }
  assert.ok(rect, 'the Train panel reports where its Upload button is');
  const [x, y, w, h] = rect;
  const box = await page.locator('#canvas').boundingBox();
  const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 30_000 }),
                                       clickAt(page, box.x + x + w / 2, box.y + y + h / 2)]);
  assert.equal(chooser.isMultiple(), false);
  await chooser.setFiles(file);
}

// Centre of a widget remembered under `name` by the panel (remember_item_rect), in CSS pixels.
export async function widgetCenter(page, panel, name) {
  const r = await query(page, panel, { op: 'rect', name });
  return { x: r.x + r.w / 2, y: r.y + r.h / 2, rect: r };
}

// ImGui 1.86 reads one mouse state per frame: a click is move, press and release on separate
// frames (`settle` frames after each).
export async function clickAt(page, x, y, settle = 1) {
  await page.mouse.move(x, y);
  await frames(page, settle);
  await page.mouse.down();
  await frames(page, settle);
  await page.mouse.up();
  await frames(page, settle);
}

export async function clickWidget(page, panel, name) {
  const c = await widgetCenter(page, panel, name);
  await page.mouse.click(c.x, c.y);
  await frames(page, 3);
}

// Saves a screenshot of the page to test-results/<name>.png (the README's pictures are made by
// scripts/screenshots.mjs, not by the tests).
export async function screenshot(page, name) {
  await frames(page, 2);
  const png = await page.screenshot();
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, `${name}.png`), png);
  return png;
}

export function maxAbsDiff(a, b) {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
