// Morph panel: the VAE strip's endpoints decode to its two inputs (t=0 is decode(encode(A)),
// t=1 is decode(encode(B))), the reconstructions look like the input digits, the GAN strip runs
// side by side, and Play animates t.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, openPage, queryWhenReady, query, clickWidget, screenshot, frames, maxAbsDiff } from './app.mjs';

let env;
before(async () => { env = await startApp(); });
after(async () => { await env?.close(); });

test('Morph panel: strip endpoints are the decodes of the two inputs', async () => {
  const { context, page, errors } = await openPage(env, { panel: 'morph' });
  try {
    await page.evaluate(() => window.genlab.set({ panel: 'morph', a: { test: 3 }, b: { test: 2 }, steps: 9, slerp: true, t: 0.5 }));
    const strip = await page.waitForFunction(() => {
      const r = window.genlab.query('morph', { op: 'strip' });
      return r.vae && r.gan ? r : null;
    }, null, { timeout: 90_000, polling: 200 }).then((h) => h.jsonValue());
    assert.equal(strip.vae.length, 9);
    assert.equal(strip.gan.length, 9);

    const a = await query(page, 'morph', { op: 'reconstruct', index: 3 });
    const b = await query(page, 'morph', { op: 'reconstruct', index: 2 });
    // Same code, batch of 9 vs batch of 1: GEMM blocking may move a pixel by 1 at rounding.
    assert.ok(maxAbsDiff(strip.vae[0], a.pixels) <= 1, 't=0 is decode(encode(A))');
    assert.ok(maxAbsDiff(strip.vae[8], b.pixels) <= 1, 't=1 is decode(encode(B))');
    assert.ok(maxAbsDiff(strip.vae[0], strip.vae[8]) > 100, 'the two ends differ');

    // The reconstructions are recognisably the inputs: the classifier agrees with the labels.
    for (const [recon, label] of [[a.pixels, a.label], [b.pixels, b.label]]) {
      const c = await queryWhenReady(page, 'gan', { op: 'classify', pixels: recon.map((v) => v / 255) });
      assert.equal(c.label, label, `reconstruction of a ${label} classified as ${c.label}`);
    }
    // The middle of the path is neither end.
    assert.ok(maxAbsDiff(strip.vae[4], strip.vae[0]) > 30 && maxAbsDiff(strip.vae[4], strip.vae[8]) > 30);
    await screenshot(page, 'morph');

    // Linear interpolation keeps the endpoints.
    await page.evaluate(() => window.genlab.set({ slerp: false }));
    const linear = await query(page, 'morph', { op: 'strip' });
    assert.ok(maxAbsDiff(linear.vae[0], a.pixels) <= 1);

    // Play animates t.
    const t0 = await page.evaluate(() => window.genlab.state().state.t);
    await page.evaluate(() => window.genlab.set({ playing: true }));
    await page.waitForTimeout(400);
    const t1 = await page.evaluate(() => window.genlab.state().state.t);
    await page.evaluate(() => window.genlab.set({ playing: false }));
    assert.notEqual(t0, t1, 'Play moves t');

    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});
