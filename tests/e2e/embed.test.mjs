// Embedding (web/embed.js, web/genlab-messages.js, web/examples/lesson.html), with the app's
// server sending a strict Content-Security-Policy (no unsafe-eval, no inline scripts):
//   - the lesson page loads, its widgets load lazily, reach ready and show what their
//     attributes asked for (read back with get()), and a set() from the page changes a widget;
//   - a course page on another origin embeds a 360 px wide widget with embed.js and talks to it;
//   - a page on a third origin, not on the widget's allowlist, is ignored;
//   - nothing in any of those frames breaks the CSP or logs an error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { siteDir, clickAt, screenshot } from './app.mjs';
import { startServer } from './server.mjs';
import { launchChromium, collectPageErrors } from './browser.mjs';
import { STRICT_CSP, writePages, countForegroundPixels, recordCspViolations } from './embed_helpers.mjs';

let app;        // build/site under the strict CSP
let course;     // a course page on another origin, using embed.js from the app's origin
let stranger;   // a page on a third origin that is not on the widget's allowlist
let browser;
let hostDir;

before(async () => {
  assert.ok(fs.existsSync(path.join(siteDir, 'genlab_app.wasm')), 'run bash scripts/setup.sh first');
  app = await startServer({ root: siteDir, port: 0, headers: { 'content-security-policy': STRICT_CSP } });
  // The host pages need the app's URL and the course's origin, so the servers start first.
  hostDir = writePages({});
  course = await startServer({ root: hostDir, port: 0 });
  stranger = await startServer({ root: hostDir, port: 0, host: '127.0.0.2' }).catch(() => startServer({ root: hostDir, port: 0 }));
  const courseOrigin = course.url.replace(/\/$/, '');
  fs.writeFileSync(path.join(hostDir, 'course.html'), `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>A course page</title></head>
<body style="margin:0;background:#ffffff">
<p>Week 3: sampling from a GAN.</p>
<div id="narrow" data-genlab="gan-sampler" data-seed="5" data-n="4" data-width="360px" data-height="440"></div>
<div id="bad" data-genlab="nope"></div>
<script src="${app.url}embed.js"></script>
</body></html>`);
  fs.writeFileSync(path.join(hostDir, 'stranger.html'), `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Someone else's page</title></head><body>
<iframe id="w" src="${app.url}index.html#view=gan&seed=5&n=4&origin=${courseOrigin}" width="400" height="420"
        sandbox="allow-scripts allow-same-origin"></iframe>
</body></html>`);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const s of [app, course, stranger]) await s?.close();
  if (hostDir) fs.rmSync(hostDir, { recursive: true, force: true });
});

async function newPage(viewport, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
  await recordCspViolations(context);
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  return { context, page, errors };
}

async function cspViolations(page) {
  const out = [];
  for (const frame of page.frames()) {
    try { out.push(...(await frame.evaluate(() => window.__cspViolations || []))); } catch { /* detached */ }
  }
  return out;
}

// Resolves a placeholder's get() (or set()) in the page.
const widgetCall = (page, selector, op, arg) => page.evaluate(({ sel, o, a }) => {
  const el = document.querySelector(sel);
  return o === 'set' ? el.genlab.set(a) : el.genlab.get();
}, { sel: selector, o: op, a: arg });

async function waitWidget(page, selector, predicate, what, timeout = 120_000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeout) {
    last = await widgetCall(page, selector, 'get');
    if (predicate(last)) return last;
    await page.waitForTimeout(250);
  }
  assert.fail(`${selector}: ${what} (last state: ${JSON.stringify({ params: last?.params, state: last?.raw?.state })?.slice(0, 600)})`);
}

test('lesson.html: four lazy widgets reach ready with their attributes; set() changes one', async () => {
  const { context, page, errors } = await newPage({ width: 1000, height: 800 });
  try {
    // Count events per widget (by its index on the page) from before the first widget can load:
    // the events do not bubble, but a capturing listener on the document sees them.
    await page.addInitScript(() => {
      window.widgetEvents = [];
      for (const type of ['sample', 'step', 'ready']) {
        document.addEventListener('genlab:' + type, (e) => {
          const i = Array.from(document.querySelectorAll('[data-genlab], genlab-widget')).indexOf(e.target);
          if (i < 0) return;
          window.widgetEvents[i] ??= { sample: 0, step: 0, ready: 0 };
          window.widgetEvents[i][type] += 1;
        }, true);
      }
    });
    await page.goto(app.url + 'examples/lesson.html');
    assert.match(await page.locator('h1').innerText(), /Generative models/);
    const selectors = await page.evaluate(() => Array.from(document.querySelectorAll('[data-genlab], genlab-widget'), (el, i) => {
      el.id = el.id || `widget${i}`;
      return '#' + el.id;
    }));
    assert.equal(selectors.length, 4, 'four widgets on the lesson page');
    const [gan, morph, text, diffusion] = selectors;
    await page.waitForFunction((s) => !!document.querySelector(s).querySelector('iframe'), gan);
    assert.equal(await page.evaluate((s) => !!document.querySelector(s).querySelector('iframe'), diffusion), false,
                 'the last widget is not loaded before it is scrolled near');

    for (const s of selectors) {
      await page.evaluate((sel) => document.querySelector(sel).scrollIntoView(), s);
      await page.waitForFunction((sel) => !!document.querySelector(sel).querySelector('iframe'), s);
    }
    for (const s of selectors) await page.evaluate((sel) => document.querySelector(sel).genlab.ready.then(() => true), s);

    // The GAN sampler: fixed seed, locked.
    const g = await waitWidget(page, gan, (v) => v.raw.state.ready, 'GAN grid sampled');
    assert.equal(g.panel, 'gan');
    assert.equal(g.params.seed, '2026');
    assert.equal(g.params.n, '16');
    assert.deepEqual(g.flags.lock, ['all']);
    assert.equal(g.flags.view, 'gan');

    // The VAE morph: two chosen test digits, slerp, playing by itself.
    const m = await waitWidget(page, morph, (v) => v.raw.state.playing, 'morph autoplay');
    assert.equal(m.params.a, 'test:3');
    assert.equal(m.params.b, 'test:7');
    assert.equal(m.params.kind, 'slerp');
    assert.equal(m.params.steps, '9');

    // The char-RNN: temperature the only control, writing on its own.
    const t = await waitWidget(page, text, (v) => v.raw.state.generated.length >= 300, 'text generated');
    assert.equal(t.params.temperature, '0.8');
    assert.equal(t.params.prime, 'The hacker');
    assert.equal(t.params.length, '300');
    assert.deepEqual(t.flags.hide, ['all']);
    assert.ok(t.flags.show.includes('temperature'));
    assert.deepEqual(Object.keys(t.raw.state.widgets), ['temperature'], 'only the temperature slider is drawn');

    // The diffusion widget: 2-D flow from seed 3, playing from the noise by itself.
    const d = await waitWidget(page, diffusion, (v) => v.raw.state.ready && (v.raw.state.playing || v.raw.state.t === 0),
                               'diffusion flow played');
    assert.equal(d.panel, 'diffusion');
    assert.equal(d.params.seed, '3');
    assert.equal(d.params.space, '2d');
    assert.deepEqual(d.flags.hide, ['space']);

    // set() from the page changes a widget (the lock is for the reader, not the author's page).
    const changed = await widgetCall(page, gan, 'set', { seed: 9, n: 4 });
    assert.equal(changed.params.seed, '9');
    const g2 = await waitWidget(page, gan, (v) => v.raw.state.ready && v.raw.state.seed === 9, 'GAN resampled');
    assert.equal(g2.raw.state.n, 4);
    // A bad value comes back as a note, not a crash.
    const bad = await page.evaluate((s) => new Promise((resolve) => {
      const el = document.querySelector(s);
      el.genlab.set({ n: 'many' }).then((v) => resolve(v.params.n), (e) => resolve('error ' + e.message));
    }), gan);
    assert.equal(bad, '4', 'n=many ignored');

    // Events: ready once per widget, samples for the GAN, steps from the playing morph.
    await page.waitForFunction(() => window.widgetEvents[0]?.sample >= 1 && window.widgetEvents[1]?.step >= 1,
                               null, { timeout: 30_000 });
    const events = await page.evaluate(() => window.widgetEvents);
    selectors.forEach((s, i) => assert.equal(events[i]?.ready, 1, `${s} sent ready once`));

    await screenshot(page, 'lesson');
    assert.deepEqual(await cspViolations(page), [], 'no CSP violations in the lesson or its widgets');
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});

test('a course page on another origin embeds a 360 px widget with embed.js and talks to it', async () => {
  const { context, page, errors } = await newPage({ width: 420, height: 700 }, { hasTouch: true });
  try {
    await page.goto(course.url + 'course.html');
    await page.evaluate(() => document.querySelector('#narrow').genlab.ready.then(() => true));
    const v = await waitWidget(page, '#narrow', (s) => s.raw.state.ready, 'GAN grid sampled');
    assert.equal(v.params.seed, '5');
    assert.equal(v.params.n, '4');
    const box = await page.locator('#narrow iframe').boundingBox();
    assert.equal(Math.round(box.width), 360, 'the widget is 360 px wide');
    // Widget names and titles come from the app's panel schema: embed.js loaded genlab-schema.js
    // from the app's origin, and it is what the app's module declares.
    const moduleSchema = await page.frameLocator('#narrow iframe').locator('body')
      .evaluate(() => JSON.parse(window.Module.ccall('genlab_schema', 'string', [], [])));
    assert.deepEqual(await page.evaluate(() => window.GenlabSchema), moduleSchema, 'the course page has the module\'s schema');
    assert.equal(moduleSchema.aliases['gan-sampler'], 'gan');
    assert.equal(await page.locator('#narrow iframe').getAttribute('title'), `GenLab: ${moduleSchema.panels.gan.title}`);
    const refused = await page.locator('#bad').innerText();
    assert.ok(refused.startsWith('GenLab: "nope" is not a widget (') && Object.keys(moduleSchema.aliases).every((a) => refused.includes(a)),
              `an unknown widget name lists the schema's names: ${refused}`);
    assert.match(await page.evaluate(() => document.querySelector('#bad').genlab.ready.then(() => 'ready', (e) => e.message)),
                 /is not a widget/);
    // The iframe is sandboxed as documented and still works.
    assert.equal(await page.locator('#narrow iframe').getAttribute('sandbox'), 'allow-scripts allow-same-origin allow-popups');

    const changed = await widgetCall(page, '#narrow', 'set', { seed: 11 });
    assert.equal(changed.params.seed, '11');
    await waitWidget(page, '#narrow', (s) => s.raw.state.ready && s.raw.state.seed === 11, 'resampled');

    // It renders: the narrow layout puts controls above the digits; the frame is far from blank.
    const png = await page.locator('#narrow iframe').screenshot();
    fs.mkdirSync('test-results', { recursive: true });
    fs.writeFileSync('test-results/embed-360.png', png);
    const { foreground, total } = await countForegroundPixels(page, png, [23, 25, 31]);
    assert.ok(foreground > total * 0.03, `a drawn widget: ${foreground}/${total} non-background pixels (test-results/embed-360.png)`);
    const rect = await page.frameLocator('#narrow iframe').locator('body')
      .evaluate(() => window.genlab.query('gan', { op: 'rect', name: 'resample' }));
    assert.ok(rect.x + rect.w <= 360, `controls fit in 360 px: ${JSON.stringify(rect)}`);
    // Touch: a tap on Resample draws a new seed.
    const frameBox = await page.locator('#narrow iframe').boundingBox();
    await page.touchscreen.tap(frameBox.x + rect.x + rect.w / 2, frameBox.y + rect.y + rect.h / 2);
    await waitWidget(page, '#narrow', (s) => s.raw.state.seed !== 11, 'a tap on Resample changes the seed', 10_000);
    assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});

test('a page whose origin is not on the allowlist is ignored; a plain iframe snippet works', async () => {
  const { context, page, errors } = await newPage({ width: 600, height: 600 });
  try {
    await page.goto(stranger.url + 'stranger.html');
    const frame = await (await page.$('#w')).contentFrame();
    await frame.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 90_000 });
    // The plain snippet (no embed.js) shows the state its URL asked for.
    assert.equal(await frame.evaluate(() => window.genlab.state().state.seed), 5);

    await page.evaluate(() => {
      window.replies = [];
      window.addEventListener('message', (e) => window.replies.push(e.data));
      const w = document.getElementById('w').contentWindow;
      w.postMessage({ genlab: 'hello' }, '*');
      w.postMessage({ genlab: 'set', id: 1, state: { seed: 77 } }, '*');
      w.postMessage({ genlab: 'get', id: 2 }, '*');
    });
    await frame.waitForFunction(() => window.GenlabMessages.stats.rejected >= 3, null, { timeout: 10_000 });
    assert.equal(await frame.evaluate(() => window.GenlabMessages.stats.accepted), 0);
    assert.equal(await frame.evaluate(() => window.genlab.state().state.seed), 5, 'the foreign set() changed nothing');
    assert.deepEqual(await page.evaluate(() => window.replies), [], 'no answer to a foreign origin');

    // The app's own origin is always allowed (a same-origin course page).
    await frame.evaluate(() => window.postMessage({ genlab: 'set', id: 3, state: { seed: 8 } }, location.origin));
    await frame.waitForFunction(() => window.genlab.state().state.seed === 8, null, { timeout: 10_000 });
    assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
    assert.deepEqual(errors.filter((e) => !e.includes('ignored a message')), [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});

async function clickImGui(page, rect) {
  await clickAt(page, rect.x + rect.w / 2, rect.y + rect.h / 2, 2);
}

test('"Copy embed code" pasted into a course page shows the same view; "Copy link" too', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 },
                                             permissions: ['clipboard-read', 'clipboard-write'] });
  await recordCspViolations(context);
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  try {
    await page.goto(app.url + 'index.html#panel=morph&a=test:12&b=random:5&kind=linear&t=0.4&steps=5');
    await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 90_000 });
    const expected = (await page.evaluate(() => window.genlab.state())).state;
    assert.deepEqual([expected.a, expected.b, expected.slerp, expected.steps], [{ test: 12 }, { random: 5 }, false, 5]);

    await clickImGui(page, await page.evaluate(() => window.genlab.query('morph', { op: 'rect', name: 'copy_link' })));
    await page.waitForFunction(() => window.GenlabUrl.lastShared?.what === 'link' && window.genlab.ui().flash === 'Link copied',
                               null, { timeout: 10_000 });
    const link = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(link, await page.evaluate(() => window.genlab.shareLinks().link));
    assert.match(link, /#panel=morph&.*a=test:12/);

    await clickImGui(page, await page.evaluate(() => window.genlab.query('morph', { op: 'rect', name: 'copy_embed' })));
    await page.waitForFunction(() => window.genlab.ui().flash === 'Embed code copied', null, { timeout: 10_000 });
    const snippet = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(snippet, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/index\.html#view=morph&/, snippet);

    // Pasted as-is into a page on another origin.
    fs.writeFileSync(path.join(hostDir, 'pasted.html'), `<!doctype html><html><head><meta charset="utf-8">
<link rel="icon" href="data:,"><title>pasted</title></head><body><p>My notes</p>\n${snippet}\n</body></html>`);
    const pasted = await context.newPage();
    const pastedErrors = collectPageErrors(pasted);
    await pasted.goto(course.url + 'pasted.html');
    const frame = await (await pasted.$('iframe')).contentFrame();
    await frame.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 90_000 });
    const shown = await frame.evaluate(() => ({ s: window.genlab.state(), ui: window.genlab.ui() }));
    assert.equal(shown.ui.view, 'morph', 'embed mode: the morph panel only');
    for (const key of ['a', 'b', 'slerp', 'steps']) assert.deepEqual(shown.s.state[key], expected[key], key);
    assert.ok(Math.abs(shown.s.state.t - expected.t) < 1e-5, 't');
    assert.deepEqual(await cspViolations(pasted), [], 'no CSP violations');
    assert.deepEqual(pastedErrors, [], 'no errors in the pasted page');
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});

test('the app under a strict CSP: no eval in the build, no violations, no errors', async () => {
  const js = fs.readFileSync(path.join(siteDir, 'genlab_app.js'), 'utf8');
  assert.doesNotMatch(js, /\beval\s*\(|new\s+Function\s*\(/, 'genlab_app.js must not need unsafe-eval');
  const { context, page, errors } = await newPage({ width: 1100, height: 700 });
  try {
    await page.goto(app.url + 'index.html#panel=gan&seed=3');
    await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 90_000 });
    await page.waitForFunction(() => window.genlab.state().state.ready, null, { timeout: 90_000 });
    // Every panel once (weights fetched, hashed with crypto.subtle, cached), then back.
    for (const panel of ['morph', 'latent', 'diffusion', 'draw', 'text', 'train', 'gan']) {
      await page.evaluate((p) => window.genlab.set({ panel: p }), panel);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    }
    await page.waitForFunction(() => Object.values(window.genlab.state().weights).every((w) => w.status === 'ready'),
                               null, { timeout: 90_000 });
    assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
    assert.equal(await page.evaluate(() => document.cookie), '', 'no cookies');
    assert.deepEqual((await context.cookies()), [], 'no cookies in the browser context');
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});
