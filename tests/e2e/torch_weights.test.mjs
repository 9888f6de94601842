// A GAN trained by python/train.py (the PyTorch twin, a wider generator than the shipped one)
// opens in the page through the Train panel's Upload button, and the GAN panel then draws the
// same digits as the native CLI from that file. Needs Debian's python3-torch (scripts/setup.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startApp, openPage, queryWhenReady, query, repo, uploadThroughButton } from './app.mjs';

let env, tmp;
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-torch-e2e-'));
  env = await startApp();
});
after(async () => {
  await env?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a PyTorch-trained GAN uploads into the page and samples as the native CLI does', async () => {
  const file = path.join(tmp, 'torch-gan.safetensors');
  execFileSync(process.env.GENLAB_PYTHON || '/usr/bin/python3',
               [path.join(repo, 'python/train.py'), 'gan', '--steps', '3', '--limit', '256', '--batch', '16',
                '--channels', '32', '--device', 'cpu', '--out', file], { cwd: repo, stdio: 'pipe' });
  const { context, page, errors } = await openPage(env, { panel: 'gan' });
  try {
    await queryWhenReady(page, 'gan', { op: 'pixels' });  // the shipped GAN first
    const before = await page.evaluate(() => window.genlab.state().weights['gan.safetensors'].generation);
    await uploadThroughButton(page, file);
    await page.waitForFunction((b) => window.genlab.state().weights['gan.safetensors'].generation > b ||
                                      window.genlab.state().state.error, before, { timeout: 30_000 });
    assert.equal(await page.evaluate(() => window.genlab.state().state.error), undefined, 'upload accepted');
    const slot = await page.evaluate(() => window.genlab.state().weights['gan.safetensors']);
    assert.equal(slot.status, 'ready');
    assert.ok(slot.generation > before, 'the GAN slot holds the uploaded file');

    await page.evaluate(() => window.genlab.set({ panel: 'gan', n: 16, seed: 5, conditional: false }));
    const web = await queryWhenReady(page, 'gan', { op: 'pixels' });
    const bin = path.join(tmp, 'native.bin');
    execFileSync(path.join(repo, 'build/native/genlab'), ['sample', 'gan', '--weights', file, '--n', '16',
                                                        '--seed', '5', '--out', bin], { stdio: 'pipe' });
    const native = fs.readFileSync(bin);
    assert.equal(web.pixels.length, native.length);
    let maxDiff = 0;  // wasm and native sum floats in different orders: 1 step of 255 at most
    for (let i = 0; i < native.length; i++) maxDiff = Math.max(maxDiff, Math.abs(native[i] - web.pixels[i]));
    console.log(`# PyTorch-trained GAN, page vs native CLI: max pixel diff ${maxDiff}`);
    assert.ok(maxDiff <= 1, `max pixel difference ${maxDiff} > 1`);
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});
