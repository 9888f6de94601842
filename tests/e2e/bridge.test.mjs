// The page side of the JS <-> C++ door (web/genlab-bridge.js <-> src/app/bridge.cpp), through the
// app's own buttons: the Train panel's Upload button opens the file chooser and the chosen file
// reaches the panel (a good file is accepted, junk is refused with a message); a page helper that
// is missing or throws is logged and the app keeps running.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startApp, openPage, clickAt, frames, siteDir } from './app.mjs';

let env, context, page, errors;
const warnings = [];

before(async () => {
  env = await startApp();
  ({ context, page, errors } = await openPage(env, { panel: 'train', width: 1200, height: 800 }));
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  // The training data in: the controls stop moving (the status lines above them are final).
  await page.waitForFunction(() => window.genlab.state().state.ready, null, { timeout: 60_000 });
  await frames(page, 5);
});
after(async () => {
  await context?.close();
  await env?.close();
});

const trainState = () => page.evaluate(() => window.genlab.state().state);

async function clickTrainWidget(name) {
  const r = (await trainState()).widgets[name];
  const box = await page.locator('#canvas').boundingBox();
  await clickAt(page, box.x + r[0] + r[2] / 2, box.y + r[1] + r[3] / 2, 2);
}

async function upload(name, buffer) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 15_000 }), clickTrainWidget('upload')]);
  assert.equal(await chooser.element().getAttribute('accept'), '.safetensors');
  await chooser.setFiles({ name, mimeType: 'application/octet-stream', buffer });
}

test('Upload: the file chooser hands the file to the Train panel', async () => {
  await upload('junk.safetensors', Buffer.from('not a safetensors file at all'));
  await page.waitForFunction(() => /upload rejected: junk\.safetensors/.test(window.genlab.state().state.error || ''),
                             null, { timeout: 15_000 });
  const good = fs.readFileSync(path.join(siteDir, 'weights/vae2.safetensors'));
  await upload('my-vae2.safetensors', good);
  await page.waitForFunction(() => /my-vae2\.safetensors/.test(window.genlab.state().state.message || ''),
                             null, { timeout: 15_000 });
  assert.equal((await trainState()).error, undefined, 'the good file is accepted');
  assert.deepEqual(errors, [], 'no console errors or page errors');
});

test('a page helper that is missing or throws is logged; the app keeps running', async () => {
  await page.evaluate(() => {
    delete window.GenlabBridge.page.openUpload;
    window.GenlabBridge.page.trainCommand = () => { throw new Error('broken on purpose'); };
  });
  await clickTrainWidget('upload');
  await page.evaluate(() => window.genlab.query('train', { op: 'command', command: { cmd: 'pause' } }));
  await frames(page, 3);
  assert.ok(warnings.some((w) => w.includes('page.openUpload') && w.includes('no page.openUpload')), warnings.join(' | '));
  assert.ok(warnings.some((w) => w.includes('page.trainCommand: broken on purpose')), warnings.join(' | '));
  assert.ok(await page.evaluate(() => window.genlab.ready()), 'still running');
  assert.equal((await page.evaluate(() => window.genlab.state())).panel, 'train');
  assert.deepEqual(errors, [], 'no console errors or page errors');
});
