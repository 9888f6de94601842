// Latent map panel: a real click on the map decodes that point into the preview; the encoded
// test set is plotted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, openPage, queryWhenReady, query, screenshot, frames, maxAbsDiff } from './app.mjs';

let env;
before(async () => { env = await startApp(); });
after(async () => { await env?.close(); });

test('Latent map: a click on the map changes the preview', async () => {
  const { context, page, errors } = await openPage(env, { panel: 'latent' });
  try {
    const before = await queryWhenReady(page, 'latent', { op: 'preview' });
    await page.waitForFunction(() => window.genlab.query('latent', { op: 'scatter' }).points === 1000,
                               null, { timeout: 60_000, polling: 200 });
    await frames(page, 2);
    const target = await query(page, 'latent', { op: 'to_screen', point: [-1.8, 1.6] });
    await page.mouse.click(target.x, target.y);
    await frames(page, 3);
    const after = await query(page, 'latent', { op: 'preview' });
    assert.ok(Math.abs(after.point[0] + 1.8) < 0.1 && Math.abs(after.point[1] - 1.6) < 0.1,
              `clicked point ${after.point} should be near (-1.8, 1.6)`);
    assert.ok(maxAbsDiff(before.pixels, after.pixels) > 50, 'the preview shows a different decode');

    // Drag: the point follows the mouse.
    const from = await query(page, 'latent', { op: 'to_screen', point: [1, -1] });
    const to = await query(page, 'latent', { op: 'to_screen', point: [2, 0.5] });
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await frames(page, 2);
    await page.mouse.move(to.x, to.y, { steps: 5 });
    await frames(page, 2);
    await page.mouse.up();
    await frames(page, 2);
    const dragged = await query(page, 'latent', { op: 'preview' });
    assert.ok(Math.abs(dragged.point[0] - 2) < 0.15 && Math.abs(dragged.point[1] - 0.5) < 0.15,
              `dragged point ${dragged.point} should be near (2, 0.5)`);
    // Hover shows a tooltip decode (visible in the screenshot).
    await page.mouse.move(to.x - 60, to.y + 40);
    await screenshot(page, 'latent');
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});
