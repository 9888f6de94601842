// Text panel (char-RNN) in headless Chromium: generation through real clicks streams over
// several frames, a seed fixes the text, any UTF-8 prime works, and the temperature reshapes
// the next-character distribution shown in the bars. Fails on any console error.
//   node --test tests/e2e/text.test.mjs     (GENLAB_SITE_DIR overrides the served directory)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, openPage, clickAt, screenshot as saveScreenshot } from './app.mjs';

let env, context, page, errors;

before(async () => {
  env = await startApp();
  ({ context, page, errors } = await openPage(env, { panel: 'text', width: 1200, height: 800 }));
  assert.deepEqual(await page.evaluate(() => window.genlab.set({ panel: 'text', cell: 'lstm' })), { ok: true });
  await page.waitForFunction(() => window.genlab.query('text', { op: 'status' }).loaded, null,
                             { timeout: 60_000 });
});

after(async () => {
  await context?.close();
  await env?.close();
});

const textState = () => page.evaluate(() => window.genlab.state().state);
const nextFrame = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));

// Clicks a widget the panel reports (ImGui units are CSS pixels of the canvas): at fraction fx
// of its width, or `px` pixels from its left edge.
async function clickWidget(name, fx = 0.5, px = undefined) {
  const s = await textState();
  const r = s.widgets[name];
  assert.ok(r, `widget ${name} not reported: ${JSON.stringify(Object.keys(s.widgets))}`);
  const box = await page.locator('#canvas').boundingBox();
  const x = box.x + r[0] + (px !== undefined ? px : r[2] * fx), y = box.y + r[1] + r[3] / 2;
  await clickAt(page, x, y);
}

test('Generate (real click) streams N characters over several frames', async () => {
  const length = 160;
  assert.deepEqual(await page.evaluate((n) => window.genlab.set({
    prime: 'The hacker ', length: n, seed: 7, temperature: 0.8, top_k: 0, chars_per_frame: 4 }), length),
  { ok: true });
  await nextFrame();
  await clickWidget('generate');
  // Sample the text length once per frame until generation ends.
  const lengths = await page.evaluate(async (n) => {
    const seen = [];
    const t0 = performance.now();
    while (performance.now() - t0 < 60_000) {
      await new Promise((r) => requestAnimationFrame(() => r()));
      const s = window.genlab.state().state;
      seen.push(s.generated.length);
      if (!s.generating && s.generated.length >= n) break;
    }
    return seen;
  }, length);
  const final = await textState();
  assert.equal(final.generated.length, length, `expected ${length} characters, got ${final.generated.length}`);
  assert.equal(final.generating, false);
  const distinct = new Set(lengths.filter((n) => n > 0 && n < length));
  assert.ok(distinct.size >= 5,
            `text should grow over several frames, saw lengths ${JSON.stringify(lengths.slice(0, 40))}`);
  // The streamed text is exactly the synchronous generation with the same settings (and so
  // what `genlab sample rnn` prints for that seed).
  const sync = await page.evaluate((n) => window.genlab.query('text', {
    op: 'generate', prime: 'The hacker ', length: n, seed: 7, temperature: 0.8, top_k: 0 }), length);
  assert.equal(sync.text, final.generated);
  await clickWidget('copy');  // ImGui + navigator.clipboard path must not throw or log errors
  await nextFrame();
  assert.deepEqual(errors, [], 'no console errors');
});

test('same seed gives the same text, another seed another text', async () => {
  const gen = (seed) => page.evaluate((s) => window.genlab.query('text', {
    op: 'generate', prime: 'A kludge is ', length: 200, seed: s, temperature: 1.0, top_k: 0 }), seed);
  const a = await gen(11), b = await gen(11), c = await gen(12);
  assert.equal(a.length, 200);
  assert.equal(a.text, b.text, 'same seed, same text');
  assert.notEqual(a.text, c.text, 'different seed, different text');
  assert.deepEqual(errors, []);
});

test('a prime with characters outside the vocabulary (emoji, accents, tabs) works', async () => {
  const prime = 'Café naïve “smart quotes” — 😀 日本語\tend ';
  assert.deepEqual(await page.evaluate((p) => window.genlab.set({ prime: p }), prime), { ok: true });
  const s = await textState();
  assert.equal(s.prime, prime, 'the prime round-trips as UTF-8');
  const out = await page.evaluate(() => window.genlab.query('text', { op: 'generate', length: 120, seed: 5 }));
  assert.equal(out.error, undefined, `unexpected error ${out.error}`);
  assert.equal(out.length, 120);
  assert.equal(out.text.length, 120);
  assert.deepEqual(errors, []);
});

test('temperature reshapes the next-character distribution (entropy of the bars)', async () => {
  await page.evaluate(() => window.genlab.query('text', {
    op: 'generate', prime: 'The hacker ', length: 40, seed: 3, temperature: 1.0, top_k: 0 }));
  const at = async (t) => {
    assert.deepEqual(await page.evaluate((v) => window.genlab.set({ temperature: v }), t), { ok: true });
    return (await textState()).distribution;
  };
  const d1 = await at(1.0), dCold = await at(0.4), dHot = await at(1.8), dGreedy = await at(0);
  assert.ok(Math.abs(d1.entropy - d1.entropy_raw) < 1e-3, 'T = 1 is the raw distribution');
  assert.ok(dCold.entropy < d1.entropy - 0.05, `T=0.4 should sharpen: ${dCold.entropy} vs ${d1.entropy}`);
  assert.ok(dHot.entropy > d1.entropy + 0.05, `T=1.8 should flatten: ${dHot.entropy} vs ${d1.entropy}`);
  assert.ok(dGreedy.entropy < 1e-6, 'T = 0 is greedy (one-hot)');
  assert.ok(d1.top.length >= 10 && d1.top.length <= 20, 'bars show the top characters');

  // A real click near the right end of the temperature slider (its frame is the first 200 px
  // of the item; the label follows) raises T above 1.5.
  await at(1.0);
  await nextFrame();
  await clickWidget('temperature', 0, 185);
  const s = await textState();
  assert.ok(s.temperature > 1.5, `slider click should set T near 1.8, got ${s.temperature}`);
  assert.ok(s.distribution.entropy > s.distribution.entropy_raw, 'hotter bars are flatter');
  await saveScreenshot(page, 'text');
  assert.deepEqual(errors, []);
});
