// The app served the way real static hosts send files (scripts/static-server.mjs --encoding):
// gzip and br with Content-Length = the COMPRESSED size (GitHub Pages, Netlify), and gzip chunked
// without Content-Length (nginx `gzip on`), plus the plain server for comparison. Under each:
//   - start-up: the wasm is compiled while it streams in (instantiateStreaming), no errors;
//   - every panel loads its weights, and the loader counted each file's raw size (the manifest's
//     bytes), not the compressed size from the header;
//   - the bad-weights scenario (bad_weights_scenario.mjs) behaves as with the plain server
//     (skipped for identity: bad_weights.test.mjs runs it).
// One browser for all modes; one page per mode for start-up and weights.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startApp, frames, queryWhenReady, siteDir } from './app.mjs';
import { launchChromium, collectPageErrors } from './browser.mjs';
import { makeBadSite, runBadWeights } from './bad_weights_scenario.mjs';

const MODES = ['identity', 'gzip', 'br', 'chunked'];
let browser;
before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

const manifest = JSON.parse(fs.readFileSync(path.join(siteDir, 'weights/manifest.json'), 'utf8'));
const rawSize = Object.fromEntries(manifest.files.map((f) => [f.file, f.bytes]));

// Panel settings that together ask for every weights file of the manifest.
const VISITS = [
  { panel: 'gan', conditional: false }, { panel: 'gan', conditional: true }, { panel: 'gan', conditional: false },
  { panel: 'draw' }, { panel: 'latent' }, { panel: 'morph' },
  { panel: 'text', cell: 'lstm' }, { panel: 'text', cell: 'gru' },
  { panel: 'diffusion', space: '2d' }, { panel: 'diffusion', space: '16d' },
];

// Counts instantiateStreaming / instantiate calls (the page's own functions still run).
function spyOnWasmCompile() {
  window.__wasmCompile = { streaming: 0, buffer: 0 };
  const streaming = WebAssembly.instantiateStreaming;
  const buffer = WebAssembly.instantiate;
  WebAssembly.instantiateStreaming = function (...args) { window.__wasmCompile.streaming++; return streaming.apply(this, args); };
  WebAssembly.instantiate = function (...args) { window.__wasmCompile.buffer++; return buffer.apply(this, args); };
}

for (const encoding of MODES) {
  test(`${encoding}: starts (streaming compile), every panel loads its weights with the raw sizes counted`, async () => {
    const env = await startApp({ encoding, browser });
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    try {
      // What the server really sends for the wasm.
      const head = await fetch(`${env.server.url}genlab_app.wasm`, { method: 'HEAD', headers: { 'accept-encoding': 'gzip, br' } });
      const coding = head.headers.get('content-encoding');
      const length = head.headers.get('content-length');
      console.log(`# ${encoding}: genlab_app.wasm content-encoding ${coding}, content-length ${length}, ` +
                  `file ${fs.statSync(path.join(siteDir, 'genlab_app.wasm')).size} bytes`);
      assert.equal(coding, encoding === 'identity' ? null : encoding === 'chunked' ? 'gzip' : encoding);
      if (encoding === 'chunked') assert.equal(length, null);

      await context.addInitScript(spyOnWasmCompile);
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(env.server.url);
      await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 90_000 });
      assert.deepEqual(await page.evaluate(() => window.__wasmCompile), { streaming: 1, buffer: 0 },
                       'the wasm is compiled while streaming (served as application/wasm)');

      for (const visit of VISITS) {
        await page.evaluate((v) => window.genlab.set(v), visit);
        await frames(page, 3);
      }
      const requested = await page.evaluate(() => Object.keys(window.genlab.state().weights));
      const missing = Object.keys(rawSize).filter((f) => !requested.includes(f));
      assert.deepEqual(missing, [], 'every manifest file is asked for by some panel visit (extend VISITS for a new panel)');
      await page.waitForFunction((files) => {
        const w = window.genlab.state().weights;
        return files.every((f) => w[f] && (w[f].status === 'ready' || w[f].status === 'failed'));
      }, Object.keys(rawSize), { timeout: 120_000, polling: 200 });
      const weights = await page.evaluate(() => window.genlab.state().weights);
      for (const [file, bytes] of Object.entries(rawSize)) {
        assert.equal(weights[file].status, 'ready', `${file}: ${weights[file].error || ''}`);
        assert.equal(weights[file].received_bytes, bytes, `${file}: the bytes counted are the file's raw size`);
        assert.equal(weights[file].progress, 1, `${file}: progress ends at 100%`);
      }
      // The data the panels need (MNIST test digits: no manifest entry, so no total when compressed).
      const preview = await queryWhenReady(page, 'latent', { op: 'preview' });
      assert.equal(preview.pixels.length, 784);
      assert.deepEqual(errors, [], 'no console errors or page errors');
    } finally {
      await context.close();
      await env.close();
    }
  });

  if (encoding === 'identity') continue;
  test(`${encoding}: bad weights: error + Retry in the panel, other panels keep working`, async () => {
    const badSite = makeBadSite();
    const env = await startApp({ root: badSite, encoding, browser });
    try {
      await runBadWeights(env, badSite, `-${encoding}`);
    } finally {
      await env.close();
      fs.rmSync(badSite, { recursive: true, force: true });
    }
  });
}

test('a wasm not served as application/wasm: compiled after the download, with a console message', async () => {
  const env = await startApp({ browser });
  const context = await browser.newContext({ viewport: { width: 800, height: 500 } });
  try {
    await context.addInitScript(spyOnWasmCompile);
    await context.route('**/genlab_app.wasm', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'content-type': 'application/octet-stream' } });
    });
    const page = await context.newPage();
    const warnings = [];
    page.on('console', (msg) => { if (msg.type() === 'warning') warnings.push(msg.text()); });
    await page.goto(env.server.url);
    await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 90_000 });
    assert.deepEqual(await page.evaluate(() => window.__wasmCompile), { streaming: 0, buffer: 1 });
    assert.ok(warnings.some((w) => /not application\/wasm/.test(w) && /application\/octet-stream/.test(w)),
              `a console warning names the content type; got: ${warnings.join(' | ')}`);
  } finally {
    await context.close();
    await env.close();
  }
});
