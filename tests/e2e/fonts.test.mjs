// The UI fonts (scripts/fonts.sh -> build/site/fonts/): Inter and DejaVu Sans Mono load at
// devicePixelRatio 1 and 2 (rasterised at 15 px x DPR), and a missing, non-font or truncated
// file leaves the app running on ImGui's built-in font with a console message naming the file.
//   node --test tests/e2e/fonts.test.mjs    (GENLAB_SITE_DIR overrides the served directory)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startApp, siteDir, screenshot } from './app.mjs';
import { collectPageErrors } from './browser.mjs';

let env;
before(async () => { env = await startApp(); });
after(async () => { await env?.close(); });

// Opens the app with the given font responses replaced; resolves to its fonts state, the
// console warnings and the errors.
async function open({ dpr = 1, replace = {} } = {}) {
  const context = await env.browser.newContext({ viewport: { width: 900, height: 600 }, deviceScaleFactor: dpr });
  for (const [file, body] of Object.entries(replace)) {
    await context.route(`**/fonts/${file}`, (route) =>
      body === 404 ? route.fulfill({ status: 404, body: 'not found' })
                   : route.fulfill({ status: 200, contentType: 'font/otf', body }));
  }
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  const warnings = [];
  page.on('console', (msg) => { if (msg.type() === 'warning') warnings.push(msg.text()); });
  await page.goto(env.server.url);
  await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 60_000 });
  const fonts = await page.evaluate(() => window.genlab.state().fonts);
  return { context, page, fonts, warnings, errors };
}

for (const dpr of [1, 2]) {
  test(`Inter and DejaVu Sans Mono load at devicePixelRatio ${dpr}`, async () => {
    const { context, page, fonts, warnings, errors } = await open({ dpr });
    try {
      assert.equal(fonts.ui, 'inter', `UI font: ${JSON.stringify(fonts)}; warnings: ${warnings.join(' | ')}`);
      assert.equal(fonts.mono, 'dejavu-mono');
      assert.equal(fonts.raster_px, 15 * dpr, 'glyphs rasterised at 15 CSS px x devicePixelRatio');
      assert.ok(!warnings.some((w) => w.includes('built-in font')), warnings.join(' | '));
      await screenshot(page, `fonts-dpr${dpr}`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
}

test('a missing, non-font or truncated font falls back to the built-in font with a message', async () => {
  const inter = fs.readFileSync(path.join(siteDir, 'fonts/inter-ui.otf'));
  const cases = [
    { replace: { 'inter-ui.otf': 404 }, ui: 'imgui-default', says: 'inter-ui.otf: HTTP 404' },
    { replace: { 'inter-ui.otf': '<!doctype html><p>Not here</p>' }, ui: 'imgui-default', says: 'not an OpenType/TrueType font' },
    { replace: { 'inter-ui.otf': inter.subarray(0, inter.length >> 1) }, ui: 'imgui-default', says: 'truncated' },
    // Only the mono face broken: the UI keeps Inter and the generated text uses it too.
    { replace: { 'dejavu-sans-mono.ttf': 404 }, ui: 'inter', mono: 'inter', says: 'dejavu-sans-mono.ttf: HTTP 404' },
  ];
  for (const c of cases) {
    const { context, page, fonts, warnings, errors } = await open({ replace: c.replace });
    try {
      const what = `${Object.keys(c.replace)} replaced`;
      assert.equal(fonts.ui, c.ui, `${what}: ${JSON.stringify(fonts)}`);
      if (c.mono) assert.equal(fonts.mono, c.mono, what);
      assert.ok(warnings.some((w) => w.includes(c.says) && w.includes('built-in font')),
                `${what}: expected a console message with "${c.says}", got: ${warnings.join(' | ')}`);
      // The app keeps working: a panel switch and a frame later it still answers.
      await page.evaluate(() => window.genlab.set({ panel: 'text' }));
      assert.equal(await page.evaluate(() => window.genlab.state().panel), 'text');
      assert.deepEqual(errors.filter((e) => !e.includes('404')), [], what);
    } finally {
      await context.close();
    }
  }
});
