// GAN sampler panel: seeded pixels equal the native CLI's, Resample (a real click) changes the
// grid, the classifier's labels are shown; also measures time to first digits and the batch-64
// sampling time in the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startApp, openPage, queryWhenReady, query, clickWidget, screenshot, frames, repo, siteDir } from './app.mjs';

let env;
before(async () => { env = await startApp(); });
after(async () => { await env?.close(); });

test('GAN panel: seeded pixels match the native CLI, Resample changes them, labels shown', async () => {
  const { context, page, errors } = await openPage(env, { panel: 'gan' });
  try {
    // Time from navigation start to the first sampled digits being on screen.
    await page.waitForFunction(() => window.genlab.state().state.ready, null, { timeout: 90_000, polling: 50 });
    await frames(page, 1);
    const firstDigitsMs = await page.evaluate(() => performance.now());
    console.log(`# time from navigation to first digits: ${firstDigitsMs.toFixed(0)} ms`);

    await page.evaluate(() => window.genlab.set({ panel: 'gan', n: 16, seed: 5, conditional: false }));
    const web = await query(page, 'gan', { op: 'pixels' });
    assert.equal(web.n, 16);
    assert.equal(web.pixels.length, 16 * 784);

    const cli = path.join(repo, 'build/native/genlab');
    const tmp = path.join(os.tmpdir(), `genlab-gan-seed5-${process.pid}.bin`);
    execFileSync(cli, ['sample', 'gan', '--n', '16', '--seed', '5', '--out', tmp,
                       '--weights', path.join(siteDir, 'weights/gan.safetensors')], { stdio: 'pipe' });
    const native = fs.readFileSync(tmp);
    fs.rmSync(tmp, { force: true });
    assert.equal(native.length, web.pixels.length);
    // Native (g++, SSE2) and wasm (emcc, SIMD128) sum floats in different orders, so a pixel
    // right at a rounding boundary of x*255 may come out 1 apart; anything more is a real bug.
    let equal = 0, maxDiff = 0;
    for (let i = 0; i < native.length; i++) {
      const d = Math.abs(native[i] - web.pixels[i]);
      if (d === 0) equal++;
      maxDiff = Math.max(maxDiff, d);
    }
    console.log(`# native vs wasm: ${equal}/${native.length} pixels equal, max diff ${maxDiff}`);
    assert.ok(maxDiff <= 1, `max pixel difference ${maxDiff} > 1`);
    assert.ok(equal >= 0.99 * native.length, `only ${equal}/${native.length} pixels exactly equal`);

    // The classifier labels every digit.
    const labels = await page.waitForFunction(() => {
      const r = window.genlab.query('gan', { op: 'labels' });
      return r.labels.length === 16 ? r : null;
    }, null, { timeout: 60_000, polling: 100 }).then((h) => h.jsonValue());
    assert.equal(labels.labels.length, 16, 'a label under each digit');
    assert.ok(labels.labels.every((l) => l >= 0 && l <= 9));
    assert.ok(labels.confidences.every((c) => c > 0 && c <= 1));
    await screenshot(page, 'gan');

    // A real click on Resample gives new digits and a new seed.
    await clickWidget(page, 'gan', 'resample');
    const state = await page.evaluate(() => window.genlab.state().state);
    assert.notEqual(state.seed, 5, 'Resample picks a new seed');
    const after = await query(page, 'gan', { op: 'pixels' });
    let changed = 0;
    for (let i = 0; i < after.pixels.length; i++) if (after.pixels[i] !== web.pixels[i]) changed++;
    assert.ok(changed > after.pixels.length * 0.1, `Resample should change the digits (${changed} pixels changed)`);

    // Batch-64 sampling time in the page.
    const bench = await query(page, 'gan', { op: 'bench', n: 64, reps: 5 });
    console.log(`# GAN batch-64 sample time in the page: ${bench.ms_per_batch.toFixed(1)} ms`);

    // Conditional GAN with a class picked: every sample is classified as that digit, mostly.
    await page.evaluate(() => window.genlab.set({ panel: 'gan', conditional: true, class: 3, n: 16, seed: 2 }));
    await queryWhenReady(page, 'gan', { op: 'pixels' });
    await frames(page, 3);
    const cl = await query(page, 'gan', { op: 'labels' });
    const threes = cl.labels.filter((l) => l === 3).length;
    console.log(`# cGAN class 3: ${threes}/16 classified as 3`);
    assert.ok(threes >= 8, `cGAN class 3 samples classified as 3: ${threes}/16`);
    await screenshot(page, 'gan-conditional');

    // A reload takes the weights from the Cache API (keyed by URL + sha256): no new download.
    await page.reload();
    await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 60_000 });
    await page.waitForFunction(() => window.genlab.state().state.ready, null, { timeout: 60_000, polling: 50 });
    const refetched = await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => /\.safetensors/.test(e.name)).map((e) => e.name));
    assert.deepEqual(refetched, [], 'cached weights are not downloaded again after a reload');

    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});
