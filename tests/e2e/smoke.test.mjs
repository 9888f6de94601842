// The built site (build/site, assembled by scripts/serve.sh / scripts/test.sh) loads in headless
// Chromium, renders a frame with WebGL2, and logs no errors.
//   node --test tests/e2e/        (GENLAB_SITE_DIR overrides the served directory)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.mjs';
import { launchChromium, collectPageErrors, countForegroundPixels } from './browser.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const siteDir = process.env.GENLAB_SITE_DIR || path.join(repo, 'build/site');
const resultsDir = path.join(repo, 'test-results');

let server;
let browser;

before(async () => {
  assert.ok(fs.existsSync(path.join(siteDir, 'genlab_app.wasm')),
            `${siteDir}/genlab_app.wasm is missing: run bash scripts/setup.sh and assemble the site (scripts/serve.sh does)`);
  server = await startServer({ root: siteDir, port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});


for (const dpr of [1, 2]) {
  test(`app renders an ImGui frame with WebGL2 (devicePixelRatio ${dpr})`, async () => {
    const context = await browser.newContext({ viewport: { width: 960, height: 600 },
                                               deviceScaleFactor: dpr });
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    try {
      await page.goto(server.url);
      await page.waitForFunction(() => window.genlab && window.genlab.ready(), null,
                                 { timeout: 60_000 });

      const hasWebGL2 = await page.evaluate(() => !!window.Module.ctx &&
        window.Module.ctx instanceof WebGL2RenderingContext);
      assert.ok(hasWebGL2, 'the app should render through a WebGL2 context');

      // HiDPI: the backing store is CSS size x devicePixelRatio, and follows window resizes.
      const size = () => page.evaluate(() => {
        const c = document.getElementById('canvas');
        return { w: c.width, h: c.height, cssW: c.clientWidth, cssH: c.clientHeight };
      });
      let s = await size();
      assert.deepEqual([s.w, s.h], [Math.round(s.cssW * dpr), Math.round(s.cssH * dpr)],
                       `canvas backing store ${s.w}x${s.h} vs CSS ${s.cssW}x${s.cssH} at dpr ${dpr}`);
      assert.deepEqual([s.cssW, s.cssH], [960, 600], 'canvas should fill the window');
      await page.setViewportSize({ width: 800, height: 500 });
      await page.waitForFunction((d) => document.getElementById('canvas').width === 800 * d,
                                 dpr, { timeout: 10_000 });

      // Let a few frames render at the new size, then look at the pixels.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const png = await page.screenshot();
      fs.mkdirSync(resultsDir, { recursive: true });
      fs.writeFileSync(path.join(resultsDir, `smoke-dpr${dpr}.png`), png);
      // Background: glClearColor(0.09, 0.10, 0.12) == page background #17191f.
      const { foreground, total } = await countForegroundPixels(page, png, [23, 25, 31]);
      assert.ok(foreground > total * 0.005,
                `expected the ImGui window on the canvas, found ${foreground}/${total} non-background pixels (see test-results/smoke-dpr${dpr}.png)`);

      const loaderHidden = await page.evaluate(() =>
        document.getElementById('loader').classList.contains('hidden'));
      assert.ok(loaderHidden, 'the loading status should be hidden once the app runs');
      assert.deepEqual(errors, [], 'no console errors or page errors');
    } finally {
      await context.close();
    }
  });
}
