// Draw panel: a "1" drawn by real mouse drags, and again by touch (CDP touch events, which SDL
// turns into mouse events for ImGui), is classified as 1; the drawing is encoded (VAE
// reconstruction, 2-d point pinned on the latent map) and can become a morph endpoint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, openPage, query, widgetCenter, clickWidget, screenshot, frames } from './app.mjs';

let env;
before(async () => { env = await startApp(); });
after(async () => { await env?.close(); });

// A slightly slanted vertical stroke with a small flag at the top, in pad-relative [0,1] units.
const ONE = [[0.56, 0.22], [0.50, 0.40], [0.48, 0.60], [0.46, 0.80]];
const ONE_FLAG = [[0.44, 0.30], [0.56, 0.22]];

function toScreen(rect, [u, v]) { return { x: rect.x + u * rect.w, y: rect.y + v * rect.h }; }

async function waitForResult(page) {
  return page.waitForFunction(() => {
    const r = window.genlab.query('draw', { op: 'result' });
    return r.label >= 0 && r.recon && r.point ? r : null;
  }, null, { timeout: 60_000, polling: 100 }).then((h) => h.jsonValue());
}

async function mouseStroke(page, rect, points) {
  const first = toScreen(rect, points[0]);
  await page.mouse.move(first.x, first.y);
  await page.mouse.down();
  await frames(page, 1);
  for (const p of points.slice(1)) {
    const s = toScreen(rect, p);
    await page.mouse.move(s.x, s.y, { steps: 6 });
    await frames(page, 1);
  }
  await page.mouse.up();
  await frames(page, 2);
}

async function touchStroke(page, cdp, rect, points) {
  const at = (p) => { const s = toScreen(rect, p); return [{ x: s.x, y: s.y, id: 1 }]; };
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(points[0]) });
  await frames(page, 2);
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1], points[i]];
    for (let k = 1; k <= 6; k++) {
      const p = [a[0] + (b[0] - a[0]) * k / 6, a[1] + (b[1] - a[1]) * k / 6];
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(p) });
      await frames(page, 1);
    }
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await frames(page, 2);
}

test('Draw panel: a 1 drawn with the mouse and by touch is classified as 1', async () => {
  const { context, page, errors } = await openPage(env, { panel: 'draw', hasTouch: true });
  try {
    await frames(page, 3);
    const { rect } = await widgetCenter(page, 'draw', 'pad');

    // Mouse.
    await mouseStroke(page, rect, ONE);
    await mouseStroke(page, rect, ONE_FLAG);
    const viaMouse = await waitForResult(page);
    console.log(`# mouse-drawn 1: classified ${viaMouse.label} (${(viaMouse.confidence * 100).toFixed(0)}%), latent point ${viaMouse.point.map((v) => v.toFixed(2))}`);
    assert.equal(viaMouse.label, 1, `a drawn 1 classified as ${viaMouse.label}`);
    assert.ok(viaMouse.ink > 20, 'the strokes left ink on the pad');
    assert.ok(viaMouse.recon.some((v) => v > 128), 'the VAE reconstructs the drawing');
    // The drawing is pinned on the latent map.
    const pinned = await query(page, 'latent', { op: 'drawing_point' });
    assert.ok(pinned.point === null || Array.isArray(pinned.point));
    await screenshot(page, 'draw');

    // Touch.
    await clickWidget(page, 'draw', 'clear');
    assert.equal((await query(page, 'draw', { op: 'result' })).ink, 0, 'Clear empties the pad');
    const cdp = await context.newCDPSession(page);
    await touchStroke(page, cdp, rect, ONE);
    await touchStroke(page, cdp, rect, ONE_FLAG);
    const viaTouch = await waitForResult(page);
    console.log(`# touch-drawn 1: classified ${viaTouch.label} (${(viaTouch.confidence * 100).toFixed(0)}%)`);
    assert.ok(viaTouch.ink > 20, 'touch strokes left ink on the pad');
    assert.equal(viaTouch.label, 1, `a touch-drawn 1 classified as ${viaTouch.label}`);

    // "Use as morph endpoint" switches to Morph with the drawing as endpoint B.
    await clickWidget(page, 'draw', 'use-as-endpoint');
    await frames(page, 3);
    const state = await page.evaluate(() => window.genlab.state());
    assert.equal(state.panel, 'morph');
    assert.deepEqual(state.state.b, { drawing: true });
    await page.evaluate(() => window.genlab.set({ panel: 'latent' }));
    await frames(page, 4);
    const point = await query(page, 'latent', { op: 'drawing_point' });
    assert.ok(Array.isArray(point.point), 'the drawing is pinned on the latent map');
    await screenshot(page, 'latent-with-drawing');
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});
