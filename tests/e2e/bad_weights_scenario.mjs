// The bad-weights scenario, shared by bad_weights.test.mjs (plain server) and
// encodings.test.mjs (the same under gzip, br and chunked transfers): a site copy serves a
// truncated gan.safetensors (not in its manifest, so the C++ validation catches it), a
// cgan.safetensors that is really a VAE (wrong model), and no vae16.safetensors (404). Each panel
// shows the error with a Retry button; the other panels keep working; Retry after the file is
// fixed loads it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPage, queryWhenReady, query, clickWidget, screenshot, frames, weightsStatus, siteDir } from './app.mjs';

export function makeBadSite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-bad-site-'));
  for (const entry of fs.readdirSync(siteDir)) {
    if (entry !== 'weights') fs.symlinkSync(path.join(siteDir, entry), path.join(dir, entry));
  }
  const weights = path.join(dir, 'weights');
  fs.mkdirSync(weights);
  for (const entry of fs.readdirSync(path.join(siteDir, 'weights'))) {
    if (['gan.safetensors', 'cgan.safetensors', 'vae16.safetensors', 'manifest.json'].includes(entry)) continue;
    fs.symlinkSync(path.join(siteDir, 'weights', entry), path.join(weights, entry));
  }
  const gan = fs.readFileSync(path.join(siteDir, 'weights/gan.safetensors'));
  fs.writeFileSync(path.join(weights, 'gan.safetensors'), gan.subarray(0, Math.floor(gan.length * 0.6)));
  fs.copyFileSync(path.join(siteDir, 'weights/vae2.safetensors'), path.join(weights, 'cgan.safetensors'));
  // The manifest without the broken files: they are fetched uncached and C++ validates them.
  const manifestPath = path.join(siteDir, 'weights/manifest.json');
  if (fs.existsSync(manifestPath)) {
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    manifest.files = (manifest.files || []).filter((f) => !['gan.safetensors', 'cgan.safetensors', 'vae16.safetensors'].includes(f.file));
    fs.writeFileSync(path.join(weights, 'manifest.json'), JSON.stringify(manifest));
  }
  return dir;
}

export async function waitStatus(page, file, status) {
  await page.waitForFunction(({ f, s }) => (window.genlab.state().weights[f] || {}).status === s,
                             { f: file, s: status }, { timeout: 60_000, polling: 100 });
  return weightsStatus(page, file);
}

// Runs the scenario on a server of makeBadSite()'s directory; `tag` names the screenshots.
export async function runBadWeights(env, badSite, tag = '') {
  const { context, page, errors } = await openPage(env, { panel: 'gan' });
  try {
    // Truncated GAN file: the safetensors validation message, a Retry button.
    const gan = await waitStatus(page, 'gan.safetensors', 'failed');
    console.log(`# gan.safetensors: ${gan.error}`);
    assert.match(gan.error, /gan\.safetensors/);
    await frames(page, 3);
    const retry = await query(page, 'gan', { op: 'rect', name: 'retry:gan.safetensors' });
    assert.ok(retry.w > 0 && retry.h > 0, 'a Retry button is shown');
    await screenshot(page, `bad-weights-gan${tag}`);

    // Wrong model in cgan.safetensors.
    await page.evaluate(() => window.genlab.set({ panel: 'gan', conditional: true }));
    await frames(page, 2);
    const cgan = await waitStatus(page, 'cgan.safetensors', 'failed');
    console.log(`# cgan.safetensors (a VAE file): ${cgan.error}`);
    assert.match(cgan.error, /model|vae|gan/i);
    await page.evaluate(() => window.genlab.set({ panel: 'gan', conditional: false }));

    // 404 for vae16: the Morph panel says so and offers Retry.
    await page.evaluate(() => window.genlab.set({ panel: 'morph' }));
    const vae16 = await waitStatus(page, 'vae16.safetensors', 'failed');
    console.log(`# vae16.safetensors: ${vae16.error}`);
    assert.match(vae16.error, /404/);
    await frames(page, 3);
    const retry16 = await query(page, 'morph', { op: 'rect', name: 'retry:vae16.safetensors' });
    assert.ok(retry16.w > 0, 'Retry shown in the Morph panel');
    await screenshot(page, `bad-weights-morph${tag}`, { docs: false });

    // Other panels still work: the latent map decodes, the classifier classifies.
    await page.evaluate(() => window.genlab.set({ panel: 'latent' }));
    const preview = await queryWhenReady(page, 'latent', { op: 'preview' });
    assert.equal(preview.pixels.length, 784);
    assert.ok(preview.pixels.some((v) => v > 128), 'the latent preview decodes a digit');
    const one = new Array(784).fill(0);
    for (let y = 4; y < 24; y++) for (let x = 13; x < 15; x++) one[y * 28 + x] = 1;
    const classified = await queryWhenReady(page, 'gan', { op: 'classify', pixels: one });
    assert.equal(classified.label, 1);

    // Fix the GAN file on the server, click Retry: the panel loads and samples.
    fs.rmSync(path.join(badSite, 'weights/gan.safetensors'));
    fs.copyFileSync(path.join(siteDir, 'weights/gan.safetensors'), path.join(badSite, 'weights/gan.safetensors'));
    await page.evaluate(() => window.genlab.set({ panel: 'gan' }));
    await frames(page, 3);
    await clickWidget(page, 'gan', 'retry:gan.safetensors');
    await waitStatus(page, 'gan.safetensors', 'ready');
    const pixels = await queryWhenReady(page, 'gan', { op: 'pixels' });
    assert.ok(pixels.pixels.length > 0);

    // The only console errors allowed are the browser's own reports of the expected 404.
    const unexpected = errors.filter((e) => !/status of 404/.test(e));
    assert.deepEqual(unexpected, [], 'no other console errors or page errors');
  } finally {
    await context.close();
  }
}
