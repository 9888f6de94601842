// Keyboard and screen readers, through Playwright's accessibility snapshot (locator.ariaSnapshot):
//   - the canvas is an "application" with a label that says how to use it, and the page has a
//     status (live) region, #genlab-live;
//   - the live region describes each panel's current output in words, and changes with the
//     panel and with what the panel shows (the generated text itself, the classifier's reading);
//   - in embed mode (view=) the same label and live region are there;
//   - Tab moves the browser's focus to the canvas (with a visible focus ring), and the arrow
//     keys and Space then work the app: they switch the panel.
//   node --test tests/e2e/a11y.test.mjs     (GENLAB_SITE_DIR overrides the served directory)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, openPage, frames, queryWhenReady, screenshot } from './app.mjs';

let env, context, page, errors;

before(async () => {
  env = await startApp();
  ({ context, page, errors } = await openPage(env, { panel: 'gan' }));
});

after(async () => {
  await context?.close();
  await env?.close();
});

const live = () => page.evaluate(() => document.getElementById('genlab-live').textContent);
// Waits until the live region's text matches `pattern`; resolves to the text.
async function liveMatching(pattern, timeout = 60_000) {
  await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('genlab-live').textContent),
                             pattern.source, { timeout, polling: 100 });
  return live();
}

test('the canvas has a label and the page a live region (accessibility snapshot)', async () => {
  const snapshot = await page.locator('body').ariaSnapshot();
  assert.match(snapshot, /- 'application "GenLab: interactive generative-model demos\. Arrow keys move between controls/,
               `accessibility snapshot:\n${snapshot}`);
  assert.match(snapshot, /- status: /, `no live region in the snapshot:\n${snapshot}`);
  const region = await page.evaluate(() => {
    const el = document.getElementById('genlab-live');
    const r = el.getBoundingClientRect();
    return { live: el.getAttribute('aria-live'), w: r.width, h: r.height };
  });
  assert.equal(region.live, 'polite');
  assert.ok(region.w <= 1 && region.h <= 1, `the live region is visually hidden (${region.w}x${region.h})`);
});

test('the live region describes each panel in words', async () => {
  const seen = new Map();
  // gan: the digits and what the classifier reads in them.
  await page.evaluate(() => window.genlab.set({ panel: 'gan', n: 16, seed: 1 }));
  const labels = (await queryWhenReady(page, 'gan', { op: 'labels' })).labels;
  const gan = await liveMatching(/^GAN sampler: 16 digits from the GAN, seed 1; the classifier reads( \d){16}$/);
  await page.waitForFunction(() => window.genlab.query('gan', { op: 'labels' }).labels.length === 16);
  const read = (await page.evaluate(() => window.genlab.query('gan', { op: 'labels' }))).labels;
  assert.equal(gan.split('reads ')[1], read.join(' '), 'the description lists the classifier labels');
  seen.set('gan', gan);
  assert.ok(labels);

  await page.evaluate(() => window.genlab.set({ panel: 'morph', a: { test: 0 }, b: { test: 1 }, t: 0.5 }));
  seen.set('morph', await liveMatching(/^Morph: VAE morph from a 7 \(test digit 0\) to a 2 \(test digit 1\) at t = 0\.50/));

  await page.evaluate(() => window.genlab.set({ panel: 'latent', point: [1, -1] }));
  seen.set('latent', await liveMatching(/^Latent map: .*z = \(1\.00, -1\.00\) decodes to a digit the classifier reads as \d/));

  await page.evaluate(() => window.genlab.set({ panel: 'draw', clear: true }));
  seen.set('draw', await liveMatching(/^Draw: drawing pad: empty/));

  // text: the generated text itself.
  await page.evaluate(() => window.genlab.set({ panel: 'text' }));
  await page.waitForFunction(() => window.genlab.query('text', { op: 'status' }).loaded, null, { timeout: 60_000 });
  const out = await page.evaluate(() => window.genlab.query('text', { op: 'generate', seed: 4, length: 60, prime: 'The ' }));
  const text = await liveMatching(/^Text: generated text: The /);
  assert.equal(text, `Text: generated text: The ${out.text}`);
  seen.set('text', text);

  await page.evaluate(() => window.genlab.set({ panel: 'train', kind: 'vae' }));
  seen.set('train', await liveMatching(/^Train: .*the VAE in the page: step \d+/));

  await page.evaluate(() => window.genlab.set({ panel: 'diffusion', space: '2d' }));
  seen.set('diffusion', await liveMatching(/^Diffusion: 2-D latent diffusion: \d+ particles at t = /));

  assert.equal(new Set(seen.values()).size, seen.size, 'every panel says something different');
  // What the live region says is what the accessibility tree exposes.
  const snapshot = await page.locator('body').ariaSnapshot();
  assert.ok(snapshot.includes(seen.get('diffusion').slice(0, 40)), `snapshot:\n${snapshot}`);
  assert.deepEqual(errors, []);
});

test('embed mode (view=) has the same label and live region', async () => {
  const embed = await env.browser.newContext({ viewport: { width: 400, height: 700 } });
  const p = await embed.newPage();
  try {
    await p.goto(`${env.server.url}index.html#view=text`);
    await p.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 60_000 });
    await p.waitForFunction(() => document.getElementById('genlab-live').textContent.startsWith('Text: '), null,
                            { timeout: 30_000 });
    const snapshot = await p.locator('body').ariaSnapshot();
    assert.match(snapshot, /application "GenLab: interactive/, snapshot);
    assert.match(snapshot, /status: "Text: /, snapshot);
  } finally {
    await embed.close();
  }
});

// One key press that ImGui 1.86 sees for exactly one frame: it polls the key state once per
// frame, so a press within one frame would be missed and one held over several frames repeats.
async function pressForOneFrame(key) {
  await page.evaluate(async (code) => {
    const target = document.activeElement || window;
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
    const key = code === 'Space' ? ' ' : code;
    target.dispatchEvent(new KeyboardEvent('keydown', { key, code, bubbles: true, cancelable: true }));
    await frame();
    target.dispatchEvent(new KeyboardEvent('keyup', { key, code, bubbles: true, cancelable: true }));
  }, key);
  await frames(page, 3);
}

test('Tab focuses the canvas; the arrow keys and Space then switch the panel', async () => {
  await page.evaluate(() => { window.genlab.set({ panel: 'gan' }); document.activeElement?.blur(); });
  await frames(page, 3);
  await page.keyboard.press('Tab');  // a real key press: the browser moves the focus
  await page.waitForFunction(() => document.activeElement?.id === 'canvas', null, { timeout: 10_000 });
  assert.ok(await page.evaluate(() => document.getElementById('canvas').matches(':focus-visible')),
            'the focused canvas shows its focus ring');
  // The first arrow key puts ImGui's keyboard focus on a widget near the top: a tab of the tab
  // bar (below the header's buttons); Space selects that tab.
  await pressForOneFrame('ArrowDown');
  await screenshot(page, 'a11y-keyboard-focus');
  await pressForOneFrame('Space');
  await page.waitForFunction(() => window.genlab.state().panel !== 'gan', null, { timeout: 10_000 });
  const panel = await page.evaluate(() => window.genlab.state().panel);
  const title = { morph: 'Morph', latent: 'Latent map', diffusion: 'Diffusion', draw: 'Draw', text: 'Text', train: 'Train' }[panel];
  assert.ok(title, `switched to ${panel}`);
  await liveMatching(new RegExp(`^${title}: `), 10_000);
  // Tab again leaves the canvas (no keyboard trap).
  await page.keyboard.press('Tab');
  await page.waitForFunction(() => document.activeElement?.id !== 'canvas', null, { timeout: 10_000 });
  assert.deepEqual(errors, []);
});
