// Train panel in headless Chromium: training runs in the Web Worker (backend "worker"); VAE
// training started with a real click on Play lowers the loss while frames keep coming; GAN and
// char-RNN steps give finite losses and their snapshots (D scores, sample text) arrive; the
// trained VAE downloads as a valid safetensors file that loads back (Upload button) into the VAE
// panels; bad commands come back as messages; without Worker (or with a broken worker) the same
// jobs train on the page and the panel says so.
// Measured numbers (fps while training, samples/s, chars/s) go to test-results/train-metrics.json.
//   node --test tests/e2e/train.test.mjs    (GENLAB_SITE_DIR overrides the served directory)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startApp, openPage, clickAt, resultsDir, screenshot, uploadThroughButton } from './app.mjs';

const metrics = {};

let env, context, page, errors;

before(async () => {
  env = await startApp();
  ({ context, page, errors } = await openPage(env, { panel: 'train', width: 1200, height: 800,
                                                    acceptDownloads: true }));
  assert.deepEqual(await page.evaluate(() => window.genlab.set({ panel: 'train', kind: 'vae' })), { ok: true });
  // The MNIST subset is fetched on demand when the panel opens.
  await page.waitForFunction(() => window.genlab.state().state.ready, null, { timeout: 60_000 });
  assert.equal((await trainState()).backend, 'worker', 'training should run in the Web Worker');
});

after(async () => {
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'train-metrics.json'), JSON.stringify(metrics, null, 2));
  console.log('train metrics:', JSON.stringify(metrics));
  await context?.close();
  await env?.close();
});

const trainState = () => page.evaluate(() => window.genlab.state().state);
const nextFrame = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));

async function clickWidget(name) {
  const s = await trainState();
  const r = s.widgets?.[name];
  assert.ok(r, `widget ${name} not reported`);
  const box = await page.locator('#canvas').boundingBox();
  const x = box.x + r[0] + r[2] / 2, y = box.y + r[1] + r[3] / 2;
  await clickAt(page, x, y);
}

// requestAnimationFrame intervals over `ms` milliseconds, measured in the page.
function frameIntervals(ms) {
  return page.evaluate((duration) => new Promise((resolve) => {
    const times = [];
    const t0 = performance.now();
    const step = (t) => {
      times.push(t);
      if (t - t0 < duration) requestAnimationFrame(step);
      else resolve(times.slice(1).map((v, i) => v - times[i]));
    };
    requestAnimationFrame(step);
  }), ms);
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('VAE training (Play by real click) lowers the loss and frames keep coming', async () => {
  assert.equal((await trainState()).step, 0);
  // Baseline: frame interval of this page when idle, on this machine (swiftshader is CPU-bound).
  const idle = median(await frameIntervals(2000));
  await clickWidget('play');
  assert.equal((await trainState()).running, true, 'Play should start training');
  const intervals = await frameIntervals(4000);
  await page.waitForFunction(() => window.genlab.state().state.step >= 120, null, { timeout: 120_000 });
  const s = await trainState();
  await clickWidget('play');  // now "Pause"
  assert.equal((await trainState()).running, false, 'Pause should stop training');

  const medianMs = median(intervals);
  metrics.vae = { idle_median_frame_ms: idle, median_frame_ms: medianMs, fps: 1000 / medianMs, frames: intervals.length,
                  steps_per_second: s.steps_per_second, samples_per_second: s.items_per_second,
                  ms_per_step: s.ms_per_step, batch: s.batch };
  // Frames keep coming while it trains (the page is not frozen). How fast they come is a
  // benchmark number (printed with the metrics below), not an assertion: it depends on the load.
  assert.ok(intervals.length >= 4, `only ${intervals.length} frames in 4 s while training`);

  const { losses } = await page.evaluate(() => window.genlab.query('train', { op: 'history' }));
  assert.ok(losses.length >= 120);
  const first = mean(losses.slice(0, 10)), recent = mean(losses.slice(-10));
  metrics.vae.first_loss = first;
  metrics.vae.recent_loss = recent;
  assert.ok(losses.every(Number.isFinite), 'finite losses');
  assert.ok(recent < 0.8 * first, `loss should drop: first 10 steps ${first.toFixed(1)}, last 10 ${recent.toFixed(1)}`);
  await nextFrame();
  await screenshot(page, 'train');
  assert.deepEqual(errors, []);
});

test('the trained VAE downloads as valid safetensors and loads back into the VAE panels', async () => {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }),
                                        clickWidget('download')]);
  const file = path.join(resultsDir, 'browser-vae2.safetensors');
  await download.saveAs(file);
  const bytes = fs.readFileSync(file);
  // safetensors: u64 LE header length N, N bytes of JSON, data; offsets contiguous to the end.
  const n = Number(bytes.readBigUInt64LE(0));
  assert.ok(n > 0 && 8 + n <= bytes.length);
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  assert.equal(header.__metadata__.model, 'vae');
  assert.equal(header.__metadata__.latent, '2');
  const tensors = Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, v]) => v);
  assert.ok(tensors.length >= 6);
  const ends = tensors.map((t) => t.data_offsets[1]);
  assert.equal(Math.max(...ends), bytes.length - 8 - n, 'data section ends at the last tensor');
  for (const t of tensors)
    assert.equal(t.data_offsets[1] - t.data_offsets[0], 4 * t.shape.reduce((a, b) => a * b, 1));

  // Back in through the real Upload button and the browser's file chooser.
  const generation = () => page.evaluate(() => window.genlab.state().weights['vae2.safetensors']?.generation ?? 0);
  const before = await generation();
  await uploadThroughButton(page, file);
  await page.waitForFunction((b) => (window.genlab.state().weights['vae2.safetensors']?.generation ?? 0) > b,
                             before, { timeout: 30_000 });
  const slot = await page.evaluate(() => window.genlab.state().weights['vae2.safetensors']);
  assert.equal(slot.status, 'ready');
  assert.equal((await trainState()).error, undefined, 'the upload was accepted');
  assert.match((await trainState()).message, /loaded browser-vae2\.safetensors as weights\/vae2\.safetensors/);

  // A file that is not safetensors is refused with a message in the panel; the app keeps running.
  const accepted = await generation();
  await uploadThroughButton(page, { name: 'junk.safetensors', mimeType: 'application/octet-stream',
                                    buffer: Buffer.from('not a safetensors file at all') });
  await page.waitForFunction(() => /upload rejected: junk\.safetensors/.test(window.genlab.state().state.error || ''),
                             null, { timeout: 30_000 });
  assert.equal(await generation(), accepted, 'the VAE slot keeps the accepted file');

  // The latent map panel renders with the browser-trained VAE without errors.
  await page.evaluate(() => window.genlab.set({ panel: 'latent' }));
  for (let i = 0; i < 10; ++i) await nextFrame();
  const latent = await page.evaluate(() => window.genlab.state());
  assert.equal(latent.panel, 'latent');
  assert.equal(latent.weights['vae2.safetensors'].status, 'ready');
  await page.evaluate(() => window.genlab.set({ panel: 'train' }));
  assert.deepEqual(errors, []);
});

test('GAN and char-RNN training steps run in the worker with finite losses; snapshots arrive', async () => {
  for (const kind of ['gan', 'rnn']) {
    assert.deepEqual(await page.evaluate((k) => window.genlab.set({ kind: k }), kind), { ok: true });
    await page.waitForFunction((k) => { const s = window.genlab.state().state; return s.kind === k && s.ready; },
                               kind, { timeout: 60_000 });
    const r = await page.evaluate(() => window.genlab.query('train', { op: 'steps', n: 8 }));
    assert.equal(r.error, undefined, `${kind}: ${r.error}`);
    assert.equal(r.backend, 'worker');
    assert.equal(r.queued, 8);
    await page.waitForFunction((n) => window.genlab.state().state.step >= n, r.from_step + 8, { timeout: 60_000 });
    const h = await page.evaluate(() => window.genlab.query('train', { op: 'history' }));
    assert.ok(h.losses.length >= 8, `${kind}: ${h.losses.length} losses after 8 steps`);
    assert.ok(h.losses.every(Number.isFinite), `${kind} losses ${h.losses}`);
    if (kind === 'gan') {
      assert.ok(h.losses2.every(Number.isFinite), `G losses ${h.losses2}`);
      // The game: D's mean scores on real and generated batches, probabilities.
      for (const name of ['D(real)', 'D(fake)'])
        assert.ok(h.series[name].length >= 8 && h.series[name].every((v) => v >= 0 && v <= 1), `${name} ${h.series[name]}`);
    }
    // Throughput in the worker, while the page keeps drawing.
    await page.evaluate(() => window.genlab.set({ running: true }));
    const intervals = await frameIntervals(3000);
    await page.waitForFunction(() => window.genlab.state().state.steps_per_second > 0, null, { timeout: 30_000 });
    const s = await trainState();
    await page.evaluate(() => window.genlab.set({ running: false }));
    metrics[kind] = { backend: s.backend, median_frame_ms: median(intervals), fps: 1000 / median(intervals),
                      steps_per_second: s.steps_per_second, items_per_second: s.items_per_second,
                      items: kind === 'rnn' ? 'chars' : 'samples', ms_per_step: s.ms_per_step,
                      ui_train_ms_per_frame: s.train_ms, last_loss: s.last_loss };
    assert.ok(intervals.length >= 3, `${kind}: only ${intervals.length} frames in 3 s while training`);
    assert.ok(Number.isFinite(s.last_loss));
    assert.ok(s.snapshots > 0);
    if (kind === 'rnn') {
      await page.waitForFunction(() => window.genlab.state().state.sample.length > 0, null, { timeout: 30_000 });
      assert.match((await trainState()).sample, /\S/);
    }
  }
  assert.deepEqual(errors, []);
});

test('bad training input gives a message and training keeps working', async () => {
  // Out-of-range values are refused by set() with the reason.
  const bad = await page.evaluate(() => { try { window.genlab.set({ lr: 5 }); return 'accepted'; } catch (e) { return String(e.message || e); } });
  assert.match(bad, /lr must be a number in \[1e-05, 0.1\], got 5/);
  // A malformed command reaches the worker and comes back as the panel's error, not a crash.
  await page.evaluate(() => window.genlab.query('train', { op: 'command', command: { cmd: 'fly' } }));
  await page.waitForFunction(() => /unknown training command "fly"/.test(window.genlab.state().state.error || ''),
                             null, { timeout: 30_000 });
  await page.evaluate(() => window.genlab.query('train', { op: 'command', command: { cmd: 'step', n: -3 } }));
  await page.waitForFunction(() => /n must be in/.test(window.genlab.state().state.error || ''), null, { timeout: 30_000 });
  // Too short a user text for the char-RNN.
  await page.evaluate(() => window.genlab.set({ kind: 'rnn', text: 'x' }));
  await page.waitForFunction(() => /too short/.test(window.genlab.state().state.error || ''), null, { timeout: 30_000 });
  // Still trains afterwards.
  await page.evaluate(() => window.genlab.set({ kind: 'vae' }));
  await page.waitForFunction(() => { const s = window.genlab.state().state; return s.kind === 'vae' && s.ready; }, null, { timeout: 60_000 });
  const r = await page.evaluate(() => window.genlab.query('train', { op: 'steps', n: 3 }));
  await page.waitForFunction((n) => window.genlab.state().state.step >= n, r.from_step + 3, { timeout: 60_000 });
  assert.deepEqual(errors, []);
});

// A fresh page where `setup` breaks workers before the app loads.
async function openFallbackPage(setup, expectedNote) {
  const ctx = await env.browser.newContext({ viewport: { width: 1200, height: 800 } });
  const p = await ctx.newPage();
  const pageErrors = [];
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  await setup(ctx, p);
  await p.goto(env.server.url);
  await p.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 60_000 });
  await p.evaluate(() => window.genlab.set({ panel: 'train', kind: 'gan' }));
  await p.waitForFunction(() => { const s = window.genlab.state().state; return s.backend === 'page' && s.ready; },
                          null, { timeout: 90_000 });
  const s = await p.evaluate(() => window.genlab.state().state);
  assert.match(s.backend_note, expectedNote);
  // The same jobs, stepped synchronously on the page.
  const r = await p.evaluate(() => window.genlab.query('train', { op: 'steps', n: 4 }));
  assert.equal(r.backend, 'page');
  assert.equal(r.steps, 4);
  assert.ok(r.losses.every(Number.isFinite), `losses ${r.losses}`);
  await p.evaluate(() => window.genlab.set({ running: true }));
  await p.waitForFunction(() => window.genlab.state().state.step >= 12, null, { timeout: 60_000 });
  await p.evaluate(() => window.genlab.set({ running: false }));
  assert.deepEqual(pageErrors, []);
  await ctx.close();
}

test('without Web Workers the panel trains on the page and says so', async () => {
  await openFallbackPage((ctx, p) => p.addInitScript(() => { delete window.Worker; }), /no Web Workers/);
});

test('a training worker that fails to load falls back to the page', async () => {
  await openFallbackPage((ctx, p) => p.route('**/genlab_train_worker.wasm', (route) => route.fulfill({ status: 404, body: 'missing' })),
                         /training worker failed/);
});
