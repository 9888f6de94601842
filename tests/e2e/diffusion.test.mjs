// Diffusion panel: 2-D particles flow from noise (t = 1) to the latents the native CLI samples
// (t = 0) and move while Play runs; Train runs in the training worker (without one, or with a
// broken one, on the page) and re-flows the particles; the seeded 16-D grid equals the
// CLI's pixels; guidance moves the classifier's labels toward the requested digit; URL round
// trip; a broken and a wrong-model weights file give a message while other panels keep working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startApp, openPage, queryWhenReady, query, screenshot, frames, repo, siteDir, weightsStatus } from './app.mjs';

const cli = path.join(repo, 'build/native/genlab');
let env;
before(async () => { env = await startApp(); });
after(async () => { await env?.close(); });

function readF32(file, cols) {
  const b = fs.readFileSync(file);
  const f = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  const rows = [];
  for (let i = 0; i < f.length; i += cols) rows.push(Array.from(f.subarray(i, i + cols)));
  return rows;
}

const tmpFile = (name) => path.join(os.tmpdir(), `genlab-diffusion-${process.pid}-${name}`);

test('Diffusion 2-D: particles flow from noise to the CLI\'s samples; Play moves them; Train steps', async () => {
  const { context, page, errors } = await openPage(env, { panel: 'diffusion' });
  try {
    await page.evaluate(() => window.genlab.set({ panel: 'diffusion', space: '2d', seed: 3, steps: 20, label: -1, n: 300, t: 1 }));
    const start = await queryWhenReady(page, 'diffusion', { op: 'particles' });
    assert.equal(start.count, 300);
    await page.evaluate(() => window.genlab.set({ t: 0 }));
    const end = await query(page, 'diffusion', { op: 'particles' });
    let moved = 0;
    for (let i = 0; i < 300; i++) moved += Math.hypot(end.points[i][0] - start.points[i][0], end.points[i][1] - start.points[i][1]);
    moved /= 300;
    console.log(`# mean particle displacement t=1 -> 0: ${moved.toFixed(3)}`);
    // vae2's latents are close to N(0, I) as a whole (its KL term), so unconditionally each
    // particle only moves onto the nearest cluster; a requested digit pulls them all to one.
    assert.ok(moved > 0.05, `particles should move from the noise (mean displacement ${moved})`);
    await page.evaluate(() => window.genlab.set({ label: 3 }));
    const three = await query(page, 'diffusion', { op: 'particles' });
    let movedTo3 = 0;
    for (let i = 0; i < 300; i++) movedTo3 += Math.hypot(three.points[i][0] - start.points[i][0], three.points[i][1] - start.points[i][1]);
    movedTo3 /= 300;
    const spread = (pts) => Math.sqrt(pts.reduce((a, p) => a + p[0] ** 2 + p[1] ** 2, 0) / pts.length -
      (pts.reduce((a, p) => a + p[0], 0) / pts.length) ** 2 - (pts.reduce((a, p) => a + p[1], 0) / pts.length) ** 2);
    console.log(`# label 3: mean displacement ${movedTo3.toFixed(3)}, spread ${spread(end.points).toFixed(2)} -> ${spread(three.points).toFixed(2)}`);
    assert.ok(movedTo3 > 2 * moved, 'a requested digit moves the particles further');
    assert.ok(spread(three.points) < 0.6 * spread(end.points), 'and gathers them in one cluster');
    await page.evaluate(() => window.genlab.set({ label: -1 }));

    // t = 0 is what `genlab sample diffusion` returns as latents for the same seed.
    const lat = tmpFile('lat2.f32');
    execFileSync(cli, ['sample', 'diffusion', '--weights', path.join(siteDir, 'weights/diffusion2.safetensors'),
                       '--vae', path.join(siteDir, 'weights/vae2.safetensors'), '--n', '300', '--seed', '3',
                       '--steps', '20', '--out', tmpFile('img2.bin'), '--latents-out', lat], { stdio: 'pipe' });
    const native = readF32(lat, 2);
    fs.rmSync(lat, { force: true });
    fs.rmSync(tmpFile('img2.bin'), { force: true });
    let worst = 0;
    for (let i = 0; i < 300; i++) worst = Math.max(worst, Math.abs(native[i][0] - end.points[i][0]), Math.abs(native[i][1] - end.points[i][1]));
    console.log(`# 2-D latents, wasm vs native: max abs diff ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-3, `particles at t = 0 differ from the CLI's latents by ${worst}`);

    // Play: t runs down from 1 and the particles move frame by frame.
    await page.evaluate(() => window.genlab.set({ t: 1, playing: true }));
    await frames(page, 10);
    const mid = await query(page, 'diffusion', { op: 'particles' });
    assert.ok(mid.t < 1 && mid.t > 0, `t while playing: ${mid.t}`);
    assert.notDeepEqual(mid.points.slice(0, 5), start.points.slice(0, 5));
    await page.waitForFunction(() => !window.genlab.state().state.playing, null, { timeout: 30_000, polling: 100 });
    assert.equal((await page.evaluate(() => window.genlab.state().state)).t, 0);
    await screenshot(page, 'diffusion');

    // Train: in the "diffusion" training worker; steps advance, the worker's weights come back
    // every 50 steps and the particles re-flow through the forming field, to the end of the run.
    await page.waitForFunction(() => {
      try { window.genlab.set({ training: true }); return window.genlab.state().state.training; } catch { return false; }
    }, null, { timeout: 90_000, polling: 250 });
    await page.waitForFunction(() => window.genlab.state().state.train_reflows >= 1, null, { timeout: 120_000, polling: 50 });
    const early = await page.evaluate(() => window.genlab.state().state);
    const earlyPoints = await query(page, 'diffusion', { op: 'particles' });
    assert.equal(early.train_backend, 'worker', `training should run in the worker (${early.train_note})`);
    const t0 = Date.now();
    await page.waitForFunction(() => !window.genlab.state().state.training, null, { timeout: 180_000, polling: 100 });
    await page.waitForFunction(() => {
      const st = window.genlab.state().state;
      return st.train_reflows > 0 && !st.training;
    }, null, { timeout: 30_000, polling: 100 });
    await frames(page, 3);
    const s = await page.evaluate(() => window.genlab.state().state);
    console.log(`# worker training: ${s.train_step} steps in ~${((Date.now() - t0) / 1000).toFixed(1)} s after the first ` +
                `re-flow (step ${early.train_step}), ${s.train_reflows} weight hand-overs, loss ${s.train_loss.toFixed(3)}`);
    assert.equal(s.train_step, 1500, 'the run goes to the end of its schedule');
    assert.ok(s.train_reflows >= 3, `the particles re-flow during the run (${s.train_reflows} hand-overs)`);
    assert.ok(s.trained_in_page && Number.isFinite(s.train_loss) && s.train_loss > 0);
    assert.equal(s.train_error, '');
    const trained = await query(page, 'diffusion', { op: 'particles' });
    assert.notDeepEqual(trained.points.slice(0, 5), earlyPoints.points.slice(0, 5), 'the field changed as it trained');
    assert.notDeepEqual(trained.points.slice(0, 5), end.points.slice(0, 5), 'the trained model moves the particles elsewhere');
    await screenshot(page, 'diffusion-trained');
    await page.evaluate(() => window.genlab.set({ training: false, shipped: true }));
    const back = await query(page, 'diffusion', { op: 'particles' });
    assert.deepEqual(back.points, end.points, '"Use shipped model" restores the shipped flow');
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});

// A fresh page where `setup` breaks workers before the app loads: the Diffusion panel's Train
// runs on the page instead, says why, and still trains and re-flows the particles.
async function trainWithoutWorker(beforeLoad, expectedNote) {
  const { context, page, errors } = await openPage(env, { panel: 'diffusion', width: 1200, beforeLoad });
  try {
    await page.evaluate(() => window.genlab.set({ panel: 'diffusion', space: '2d', seed: 3, t: 0 }));
    const before = await queryWhenReady(page, 'diffusion', { op: 'particles' });
    await page.waitForFunction(() => {
      try { window.genlab.set({ training: true }); return window.genlab.state().state.training; } catch { return false; }
    }, null, { timeout: 90_000, polling: 250 });
    await page.waitForFunction(() => {
      const st = window.genlab.state().state;
      return st.train_backend === 'page' && st.train_step >= 100;
    }, null, { timeout: 120_000, polling: 100 });
    const s = await page.evaluate(() => window.genlab.state().state);
    console.log(`# page fallback (${s.train_note}): step ${s.train_step}, loss ${s.train_loss.toFixed(3)}`);
    assert.match(s.train_note, expectedNote);
    assert.ok(Number.isFinite(s.train_loss) && s.train_loss > 0);
    const after = await query(page, 'diffusion', { op: 'particles' });
    assert.notDeepEqual(after.points.slice(0, 5), before.points.slice(0, 5), 'the page-trained field moves the particles');
    await page.evaluate(() => window.genlab.set({ training: false }));
    assert.equal((await page.evaluate(() => window.genlab.state().state)).training, false);
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
}

test('Diffusion Train without Web Workers trains on the page and says so', async () => {
  await trainWithoutWorker((ctx, p) => p.addInitScript(() => { delete window.Worker; }), /no Web Workers/);
});

test('Diffusion Train with a training worker that fails to load falls back to the page', async () => {
  await trainWithoutWorker((ctx, p) => p.route('**/genlab_train_worker.wasm', (route) => route.fulfill({ status: 404, body: 'missing' })),
                           /training worker failed/);
});

test('Diffusion 16-D: seeded grid equals the CLI\'s pixels; guidance moves labels to the digit', async () => {
  const { context, page, errors } = await openPage(env, { panel: 'diffusion' });
  try {
    await page.evaluate(() => window.genlab.set({ panel: 'diffusion', space: '16d', n: 16, seed: 5, steps: 20, label: -1 }));
    const web = await queryWhenReady(page, 'diffusion', { op: 'pixels' });
    assert.equal(web.pixels.length, 16 * 784);
    const out = tmpFile('grid.bin');
    execFileSync(cli, ['sample', 'diffusion', '--weights', path.join(siteDir, 'weights/diffusion16.safetensors'),
                       '--vae', path.join(siteDir, 'weights/vae16.safetensors'), '--n', '16', '--seed', '5',
                       '--steps', '20', '--out', out], { stdio: 'pipe' });
    const native = fs.readFileSync(out);
    fs.rmSync(out, { force: true });
    let equal = 0, maxDiff = 0;
    for (let i = 0; i < native.length; i++) {
      const d = Math.abs(native[i] - web.pixels[i]);
      if (d === 0) equal++;
      maxDiff = Math.max(maxDiff, d);
    }
    console.log(`# 16-D grid, native vs wasm: ${equal}/${native.length} pixels equal, max diff ${maxDiff}`);
    // Float sums differ in order between g++ and emcc SIMD; 20 Heun steps keep that ~1e-6.
    assert.ok(maxDiff <= 1, `max pixel difference ${maxDiff} > 1`);
    assert.ok(equal >= 0.99 * native.length);

    const share = async (label, guidance) => {
      await page.evaluate(({ l, g }) => window.genlab.set({ label: l, guidance: g, n: 36 }), { l: label, g: guidance });
      const r = await queryWhenReady(page, 'diffusion', { op: 'labels' });
      return r.labels.filter((x) => x === label).length / r.labels.length;
    };
    const without = await share(3, 0);   // guidance 0 = the unconditional model
    const guided = await share(3, 2);
    console.log(`# share of 3s: guidance 0 ${without.toFixed(2)}, guidance 2 ${guided.toFixed(2)}`);
    assert.ok(guided >= 0.9, `guided samples of 3 are 3s: ${guided}`);
    assert.ok(guided > without + 0.3, `guidance moves the labels toward 3 (${without} -> ${guided})`);
    await screenshot(page, 'diffusion-16d');
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});

test('Diffusion: URL state round trip', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  try {
    await page.goto(env.server.url + 'index.html#panel=diffusion&space=16d&seed=7&steps=12&guidance=3.5&label=4');
    await page.waitForFunction(() => window.genlab && window.genlab.ready() && window.genlab.state().panel === 'diffusion',
                               null, { timeout: 60_000 });
    const s = await page.evaluate(() => window.genlab.state().state);
    assert.equal(s.space, '16d');
    assert.equal(s.seed, 7);
    assert.equal(s.steps, 12);
    assert.equal(s.guidance, 3.5);
    assert.equal(s.label, 4);
    await page.evaluate(() => window.genlab.set({ space: '2d', seed: 11, t: 0.25 }));
    await page.waitForFunction(() => location.hash.includes('seed=11') && location.hash.includes('space=2d'),
                               null, { timeout: 10_000 });
    const hash = await page.evaluate(() => location.hash);
    assert.match(hash, /t=0\.25/);
    // Clamped and malformed values become notes, the app keeps running.
    await page.evaluate(() => { location.hash = '#panel=diffusion&steps=1000&guidance=x'; });
    await frames(page, 3);
    const c = await page.evaluate(() => window.genlab.state().state);
    assert.equal(c.steps, 100);
    assert.ok(await page.evaluate(() => window.genlab.ready()));
  } finally {
    await context.close();
  }
});

test('Diffusion: broken and wrong-model weights show a message; other panels keep working', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-diffusion-bad-'));
  for (const entry of fs.readdirSync(siteDir)) {
    if (entry !== 'weights') fs.symlinkSync(path.join(siteDir, entry), path.join(dir, entry));
  }
  fs.mkdirSync(path.join(dir, 'weights'));
  const broken = ['diffusion2.safetensors', 'diffusion16.safetensors', 'manifest.json'];
  for (const entry of fs.readdirSync(path.join(siteDir, 'weights'))) {
    if (!broken.includes(entry)) fs.symlinkSync(path.join(siteDir, 'weights', entry), path.join(dir, 'weights', entry));
  }
  const d2 = fs.readFileSync(path.join(siteDir, 'weights/diffusion2.safetensors'));
  fs.writeFileSync(path.join(dir, 'weights/diffusion2.safetensors'), d2.subarray(0, Math.floor(d2.length / 2)));
  fs.copyFileSync(path.join(siteDir, 'weights/vae16.safetensors'), path.join(dir, 'weights/diffusion16.safetensors'));
  const manifest = JSON.parse(fs.readFileSync(path.join(siteDir, 'weights/manifest.json'), 'utf8'));
  manifest.files = manifest.files.filter((f) => !broken.includes(f.file));
  fs.writeFileSync(path.join(dir, 'weights/manifest.json'), JSON.stringify(manifest));
  const bad = await startApp({ root: dir });
  try {
    const { context, page, errors } = await openPage(bad, { panel: 'diffusion' });
    await page.evaluate(() => window.genlab.set({ space: '2d' }));
    await page.waitForFunction(() => (window.genlab.state().weights['diffusion2.safetensors'] || {}).status === 'failed',
                               null, { timeout: 60_000, polling: 100 });
    const w2 = await weightsStatus(page, 'diffusion2.safetensors');
    console.log(`# diffusion2.safetensors: ${w2.error}`);
    assert.match(w2.error, /diffusion2\.safetensors/);
    await page.evaluate(() => window.genlab.set({ space: '16d' }));
    await page.waitForFunction(() => (window.genlab.state().weights['diffusion16.safetensors'] || {}).status === 'failed',
                               null, { timeout: 60_000, polling: 100 });
    const w16 = await weightsStatus(page, 'diffusion16.safetensors');
    console.log(`# diffusion16.safetensors: ${w16.error}`);
    assert.match(w16.error, /"vae" weights file, expected "diffusion"/);
    const q = await page.evaluate(() => { try { return window.genlab.query('diffusion', { op: 'pixels' }); } catch (e) { return { error: String(e) }; } });
    assert.ok(q.error, 'no pixels from a failed file');
    // The GAN panel still samples.
    await page.evaluate(() => window.genlab.set({ panel: 'gan', n: 4, seed: 1 }));
    const gan = await queryWhenReady(page, 'gan', { op: 'pixels' });
    assert.equal(gan.pixels.length, 4 * 784);
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
    await context.close();
  } finally {
    await bad.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Diffusion at 400 px, embedded: both views draw, stacked', async () => {
  const context = await env.browser.newContext({ viewport: { width: 400, height: 700 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(env.server.url + 'index.html#view=diffusion&space=2d&seed=2');
    await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 60_000 });
    const p = await queryWhenReady(page, 'diffusion', { op: 'particles' });
    assert.equal(p.count, 300);
    await frames(page, 3);
    const map = await query(page, 'diffusion', { op: 'to_screen', point: [3.5, -3.5] });
    assert.ok(map.x <= 400, `the map fits the 400 px width (right edge at ${map.x})`);
    await screenshot(page, 'diffusion-400px');
    await page.evaluate(() => window.genlab.set({ space: '16d', n: 9 }));
    const grid = await queryWhenReady(page, 'diffusion', { op: 'pixels' });
    assert.equal(grid.pixels.length, 9 * 784);
    await screenshot(page, 'diffusion-16d-400px');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
