// The static dist (scripts/dist.mjs): built from build/site into a sub-folder of a plain static
// server (no custom headers, so relative paths are required), the app and the lesson work, the
// service worker reports "available offline", and with the server stopped a reload still runs.
// The dist carries precompressed .gz/.br siblings and .nojekyll; it is served here as a
// brotli_static host does (the .br siblings, Content-Length = their size).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { repo, siteDir } from './app.mjs';
import { startServer } from './server.mjs';
import { launchChromium, collectPageErrors } from './browser.mjs';

let root;
let browser;

before(async () => {
  assert.ok(fs.existsSync(path.join(siteDir, 'genlab_app.wasm')), 'run bash scripts/setup.sh first');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-dist-'));
  const out = execFileSync('node', [path.join(repo, 'scripts/dist.mjs'), '--fast-sizes', siteDir, path.join(root, 'course/genlab')],
                           { encoding: 'utf8' });
  assert.match(out, /^total\s+[\d.]+\s+[\d.]+\s+[\d.]+$/m, 'the build prints total raw / gzip / brotli sizes');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('dist/: relative paths, offline file list, works from a sub-folder and offline after a visit', async () => {
  const dist = path.join(root, 'course/genlab');
  for (const f of ['index.html', 'embed.js', 'sw.js', 'genlab_app.wasm', 'examples/lesson.html', 'weights/gan.safetensors']) {
    assert.ok(fs.existsSync(path.join(dist, f)), `dist has ${f}`);
  }
  const offline = JSON.parse(fs.readFileSync(path.join(dist, 'offline-files.json'), 'utf8'));
  for (const f of ['index.html', 'genlab_app.wasm', 'genlab_app.js', 'weights/manifest.json', 'weights/gan.safetensors']) {
    assert.ok(offline.files.includes(f), `the offline cache holds ${f}`);
  }
  assert.match(fs.readFileSync(path.join(dist, 'index.html'), 'utf8'), /<meta name="genlab-offline" content="sw.js">/);
  assert.ok(fs.existsSync(path.join(dist, '.nojekyll')), 'dist has .nojekyll (GitHub Pages)');
  for (const f of ['genlab_app.wasm', 'genlab_app.js', 'data/mnist-test-1000.bin']) {  // (F16 weights shrink < 10%: no sibling)
    const raw = fs.readFileSync(path.join(dist, f));
    assert.deepEqual(zlib.gunzipSync(fs.readFileSync(path.join(dist, `${f}.gz`))), raw, `${f}.gz is ${f} gzipped`);
    assert.deepEqual(zlib.brotliDecompressSync(fs.readFileSync(path.join(dist, `${f}.br`))), raw, `${f}.br is ${f} in brotli`);
  }
  assert.ok(!offline.files.some((f) => /\.(gz|br)$/.test(f) || f === '.nojekyll'), 'the offline cache lists no siblings');

  let server = await startServer({ root, port: 0, encoding: 'br' });
  const port = server.port;
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  try {
    const url = `${server.url}course/genlab/index.html#panel=gan&seed=12&n=6`;
    await page.goto(url);
    await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 90_000 });
    await page.waitForFunction(() => window.genlab.state().state.ready, null, { timeout: 90_000 });
    const first = await page.evaluate(() => window.genlab.query('gan', { op: 'pixels' }).pixels);
    // The service worker has cached the shell and the weights, and the app says so.
    await page.waitForFunction(() => window.genlab.ui().offline === 'available offline', null, { timeout: 60_000 });
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30_000 });
    assert.deepEqual(errors, [], 'no console errors or page errors while online');

    // The lesson page from the same folder.
    const lesson = await context.newPage();
    const lessonErrors = collectPageErrors(lesson);
    await lesson.goto(`${server.url}course/genlab/examples/lesson.html`);
    await lesson.evaluate(() => document.querySelector('[data-genlab]').genlab.ready.then(() => true));
    const g = await lesson.evaluate(() => document.querySelector('[data-genlab]').genlab.get());
    assert.equal(g.params.seed, '2026');
    assert.deepEqual(lessonErrors, [], 'no errors on the dist lesson page');
    await lesson.close();

    // Offline: the server is gone; a reload comes from the service worker's cache.
    await server.close();
    server = null;
    errors.length = 0;
    await page.reload();
    await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 90_000 });
    await page.waitForFunction(() => window.genlab.state().state.ready, null, { timeout: 90_000 });
    const again = await page.evaluate(() => window.genlab.query('gan', { op: 'pixels' }).pixels);
    assert.deepEqual(again, first, 'the same digits offline');
    assert.equal(await page.evaluate(() => window.genlab.state().state.seed), 12, 'the URL state survived the reload');
    assert.deepEqual(errors, [], 'no console errors or page errors offline');
    void port;
  } finally {
    await context.close();
    await server?.close();
  }
});
