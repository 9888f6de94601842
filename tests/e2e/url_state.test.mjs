// URL state (web/genlab-url.js): every panel's state survives a trip through the link that
// "Copy link" produces; malformed parameters are ignored or clamped with a visible note; the
// lesson flags (view, hide, show, lock, theme) shape the app.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, frames, query, screenshot } from './app.mjs';
import { collectPageErrors } from './browser.mjs';
import { countForegroundPixels } from './embed_helpers.mjs';

let env;
before(async () => { env = await startApp(); });
after(async () => { await env?.close(); });

async function openAt(hash, { width = 1280, height = 800 } = {}) {
  const context = await env.browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(env.server.url + 'index.html' + hash);
  await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 90_000 });
  await frames(page, 2);
  return { context, page, errors };
}

const panelState = (page) => page.evaluate(() => window.genlab.state());

// A non-default state for every panel, in genlab.set's vocabulary, and the fields to compare.
const Z = Array.from({ length: 64 }, (_, i) => Math.round(Math.sin(i) * 250) / 100);
const CASES = [
  { panel: 'gan', set: { conditional: true, n: 9, seed: 4242, class: 3 }, extra: { z: Z, z_row: 2 },
    fields: ['conditional', 'n', 'seed', 'class', 'z_row'] },
  { panel: 'morph', set: { a: { test: 5 }, b: { random: 99 }, slerp: false, t: 0.25, steps: 7, gan_seeds: [3, 4] },
    fields: ['a', 'b', 'slerp', 't', 'steps', 'gan_seeds'] },
  { panel: 'latent', set: { point: [1.25, -0.5], manifold: false, scatter: true }, fields: ['point', 'manifold', 'scatter'] },
  { panel: 'draw', set: { brush: 2.2 }, fields: ['brush'] },
  { panel: 'text', set: { cell: 'gru', prime: 'Hello & goodbye #1, 50% off?', temperature: 0.65, top_k: 7, length: 123, seed: 99, chars_per_frame: 5 },
    fields: ['cell', 'prime', 'temperature', 'top_k', 'length', 'seed', 'chars_per_frame'] },
  { panel: 'train', set: { kind: 'gan', lr: 0.0002, batch: 24 }, fields: ['kind', 'lr', 'batch'] },
];

const close = (a, b) => (typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) < 1e-5
  : Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => close(x, b[i]))
  : JSON.stringify(a) === JSON.stringify(b));

test('URL state: every panel round-trips through the copied link', async () => {
  const source = await openAt('');
  const target = await openAt('#panel=gan');
  try {
    for (const c of CASES) {
      await source.page.evaluate(({ panel, set, extra }) => {
        window.genlab.set({ panel });
        window.genlab.set(set);
        if (extra) window.genlab.set(extra);
      }, c);
      await frames(source.page, 2);
      const before = (await panelState(source.page)).state;
      for (const f of c.fields) assert.ok(close(before[f], c.set[f] ?? c.extra[f]), `${c.panel}.${f} was set: ${JSON.stringify(before[f])}`);

      // The hash follows the state, and "Copy link" is that URL.
      await source.page.waitForFunction((p) => location.hash.includes(`panel=${p}`), c.panel, { timeout: 10_000 });
      const { link, embed } = await source.page.evaluate(() => window.genlab.shareLinks());
      assert.match(link, new RegExp(`#panel=${c.panel}&`), link);
      assert.match(embed, /^<iframe src="[^"]+#view=/, embed);

      // Open the link in the other page (same document: the hash change re-applies the state).
      await target.page.evaluate((url) => { location.href = url; }, link);
      await target.page.waitForFunction((p) => window.genlab.state().panel === p, c.panel, { timeout: 10_000 });
      await frames(target.page, 2);
      const after = (await panelState(target.page)).state;
      for (const f of c.fields) {
        assert.ok(close(after[f], before[f]), `${c.panel}.${f}: ${JSON.stringify(after[f])} after the link, ${JSON.stringify(before[f])} before (${link})`);
      }
      if (c.panel === 'gan') assert.ok(close(after.z, Z.map((v) => Number(v.toPrecision(6)))), 'the edited z travels in the URL');
    }
    assert.deepEqual(source.errors, [], 'no console errors in the source page');
    assert.deepEqual(target.errors, [], 'no console errors in the target page');
  } finally {
    await source.context.close();
    await target.context.close();
  }
});

// In-range and out-of-range values of one declared key (src/schema/panel_schema.cpp), in
// genlab.set's vocabulary: {inside: [values], outside: [{value, clampsTo}]} (clampsTo undefined:
// rejected).
function valuesOf(key) {
  const clamps = key.out_of_range === 'clamp';
  const whole = key.type === 'int' || key.integers;
  const mid = whole ? Math.floor((key.min + key.max) / 2) : (key.min + key.max) / 2;
  const step = whole ? 1 : Math.max((key.max - key.min) * 0.01, 1e-6);
  const numbers = { inside: [key.min, mid, key.max],
                    outside: [[key.min - step, key.min], [key.max + step, key.max]] };
  switch (key.type) {
    case 'int': case 'number':
      return { inside: numbers.inside, outside: numbers.outside.map(([value, end]) => ({ value, clampsTo: clamps ? end : undefined })) };
    case 'bool': return { inside: [true, false, true], outside: [{ value: 'yes' }] };
    case 'choice':
      return key.boolean ? { inside: [true, false], outside: [{ value: key.choices[1] }] }
                         : { inside: key.choices.slice().reverse(), outside: [{ value: 'not-' + key.choices[0] }] };
    case 'text': return { inside: ['x'.repeat(key.max_bytes), 'Hé, 50% & #1'], outside: [{ value: 'x'.repeat(key.max_bytes + 1) }] };
    case 'list': {
      const n = key.min_items;
      const list = (x) => Array.from({ length: n }, () => x);
      return { inside: numbers.inside.map(list),
               outside: numbers.outside.map(([x, end]) => ({ value: list(x), clampsTo: clamps ? list(end) : undefined }))
                 .concat([{ value: list(key.min).concat(Array.from({ length: key.max_items }, () => key.min)) }]) };
    }
    case 'endpoint':
      return { inside: [{ test: key.max }, { random: 5 }, { test: key.min }], outside: [{ value: { test: key.max + 1 }, clampsTo: { test: key.max } }] };
    default: throw new Error(`unknown key type ${key.type}`);
  }
}

// float32 in C++: numbers compare to 1e-6 relative.
const same = (a, b) => (typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b))
  : Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => same(x, b[i]))
  : JSON.stringify(a) === JSON.stringify(b));

test('panel schema: the page and the module agree; every declared key round-trips through set/state and the URL', async () => {
  const { context, page, errors } = await openAt('#panel=gan');
  try {
    const schema = await page.evaluate(() => window.GenlabSchema);
    const fromModule = await page.evaluate(() => JSON.parse(window.Module.ccall('genlab_schema', 'string', [], [])));
    assert.deepEqual(schema, fromModule, 'build/site/genlab-schema.js is the module\'s schema');
    assert.deepEqual(schema.order, ['gan', 'morph', 'latent', 'diffusion', 'draw', 'text', 'train']);
    assert.deepEqual(await page.evaluate(() => window.genlab.state().panels), schema.order, 'the app has exactly the declared panels');
    const lr = schema.panels.train.keys.find((k) => k.field === 'lr');
    assert.deepEqual([lr.min, lr.max, lr.log], [1e-5, 0.1, true], 'one learning-rate range');

    let checked = 0;
    for (const id of schema.order) {
      // The GAN's z_row is clamped to n - 1: the largest grid first.
      await page.evaluate((p) => window.genlab.set({ panel: p, ...(p === 'gan' ? { n: 64 } : {}) }), id);
      for (const key of schema.panels[id].keys) {
        const { inside, outside } = valuesOf(key);
        const partner = key.sent_with ? { [key.sent_with]: [0.5] } : {};
        const set = (value) => page.evaluate((fields) => {
          try { window.genlab.set(fields); return { ok: true }; } catch (e) { return { error: String(e.message || e) }; }
        }, { ...partner, [key.field]: value });
        const read = () => page.evaluate((f) => window.genlab.state().state[f], key.field);
        for (const value of inside) {
          const r = await set(value);
          assert.ok(r.ok, `${id}.${key.field} = ${JSON.stringify(value).slice(0, 80)} accepted: ${r.error}`);
          const got = await read();
          assert.ok(same(got, value), `${id}.${key.field}: set ${JSON.stringify(value).slice(0, 80)}, state ${JSON.stringify(got).slice(0, 80)}`);
          checked++;
        }
        const before = await read();
        for (const { value, clampsTo } of outside) {
          const r = await set(value);
          const got = await read();
          if (clampsTo === undefined) {
            assert.ok(r.error && r.error.startsWith(key.field), `${id}.${key.field} = ${JSON.stringify(value).slice(0, 80)} rejected with its name: ${JSON.stringify(r)}`);
            assert.ok(same(got, before), `${id}.${key.field}: a rejected value leaves ${JSON.stringify(before).slice(0, 80)}, got ${JSON.stringify(got).slice(0, 80)}`);
          } else {
            assert.ok(r.ok, `${id}.${key.field} = ${JSON.stringify(value)} clamped, not rejected: ${r.error}`);
            assert.ok(same(got, clampsTo), `${id}.${key.field}: ${JSON.stringify(value)} clamps to ${JSON.stringify(clampsTo)}, got ${JSON.stringify(got)}`);
          }
          checked++;
        }
      }
    }
    assert.ok(checked > 100, `${checked} values checked`);

    // Through the URL: for every key a link with an in-range value applies it, and the link the
    // app then shows carries the same text for that parameter.
    for (const id of schema.order) {
      for (const key of schema.panels[id].keys) {
        const { inside } = valuesOf(key);
        const value = inside[1];
        const text = key.type === 'choice' && key.boolean ? key.choices[value ? 1 : 0]
          : key.type === 'bool' ? (value ? '1' : '0')
          : key.type === 'list' ? value.join(',')
          : key.type === 'endpoint' ? (value.test !== undefined ? `test:${value.test}` : `random:${value.random}`)
          : String(value);
        // What the key needs beside it: the field its shown_if names, its sent_with partner.
        const keys = schema.panels[id].keys;
        const paramOf = (field) => keys.find((k) => k.field === field).param;
        const params = id === 'gan' ? { n: '64' } : {};
        if (key.shown_if) {
          const [field, v] = key.shown_if.split('=');
          const other = keys.find((k) => k.field === field);
          if (field !== key.field) params[other.param] = v ?? (other.type === 'list' ? '0.5' : other.boolean ? other.choices[1] : '1');
        }
        if (key.sent_with) params[paramOf(key.sent_with)] = '0.5';
        params[key.param] = text;
        const hash = `#panel=${id}&` + Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
        const out = await page.evaluate(async (h) => {
          location.hash = h;
          await new Promise((r) => setTimeout(r, 50));
          window.GenlabUrl.apply(location.hash);
          return { notes: window.GenlabUrl.notes, state: window.genlab.state().state, params: window.GenlabUrl.current().params };
        }, hash);
        assert.deepEqual(out.notes, [], `${hash}: no notes`);
        assert.ok(same(out.state[key.field], value), `${hash}: state.${key.field} = ${JSON.stringify(out.state[key.field]).slice(0, 80)}`);
        assert.equal(out.params[key.param], text, `${hash}: the link carries ${key.param}=${text}`);
      }
    }
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});

test('URL state: malformed parameters are ignored or clamped, with a visible note', async () => {
  const { context, page, errors } = await openAt('#panel=gan&model=cgan&n=500&seed=abc&class=12&wat=1&z=1,x&theme=purple&lock=seed,sede&origin=evil');
  try {
    const s = (await panelState(page)).state;
    assert.equal(s.conditional, true, 'model=cgan applied');
    assert.equal(s.n, 64, 'n=500 clamped to 64');
    assert.equal(s.class, 9, 'class=12 clamped to 9');
    assert.equal(s.seed, 1, 'seed=abc ignored (default seed kept)');
    const ui = await page.evaluate(() => window.genlab.ui());
    const notes = ui.notes.join(' | ');
    for (const word of ['n=500', 'seed=abc', 'class=12', '"wat"', 'z=1,x', 'theme=purple', '"sede"', '"evil"']) {
      assert.ok(notes.includes(word), `a note about ${word}: ${notes}`);
    }
    assert.equal(ui.theme, 'dark', 'a bad theme leaves the default');
    assert.deepEqual(ui.lock, ['seed'], 'the known control name is kept');
    // The note is drawn: its Dismiss button has a rectangle on screen, and dismissing clears it.
    const rect = await query(page, 'gan', { op: 'rect', name: 'dismiss_notes' });
    assert.ok(rect.w > 0 && rect.h > 0, `the URL note is visible: ${JSON.stringify(rect)}`);
    await page.mouse.click(rect.x + rect.w / 2, rect.y + rect.h / 2);
    await frames(page, 3);
    assert.deepEqual((await page.evaluate(() => window.genlab.ui())).notes, [], 'Dismiss hides the note');

    // Garbage of every kind never crashes the app.
    for (const hash of ['#%E0%A4%A', '#panel=nope&seed=1', '#view=text&temperature=-3&length=1e9&prime=' + 'x'.repeat(3000),
                        '#panel=morph&a=drawing&b=test:123456&t=2', '#panel=train&model=rnn&lr=5&batch=0&cell=gru']) {
      await page.evaluate((h) => { location.hash = h; }, hash);
      await frames(page, 3);
      assert.ok(await page.evaluate(() => window.genlab.ready()), `still running after ${hash}`);
    }
    await page.evaluate(() => { location.hash = '#view=text&temperature=-3&length=1e9'; });
    await frames(page, 3);
    const t = (await panelState(page)).state;
    assert.equal(t.temperature, 0, 'temperature=-3 clamped to 0');
    assert.ok(t.length !== 1e9, 'length=1e9 is not a whole number: ignored');

    // autoplay=1 starts training as soon as the training data is in.
    await page.evaluate(() => { location.hash = '#view=train&model=gan&batch=8&autoplay=1'; });
    await page.waitForFunction(() => {
      const s = window.genlab.state();
      return s.panel === 'train' && s.state.kind === 'gan' && s.state.running && s.state.step > 0;
    }, null, { timeout: 90_000 });
    assert.equal((await panelState(page)).state.batch, 8);
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});

test('lesson flags: view shows one panel, hide/show/lock shape its controls, theme=light', async () => {
  const { context, page, errors } = await openAt('#view=text&hide=all&show=temperature&lock=temperature&theme=light&temperature=0.5',
                                                 { width: 700, height: 500 });
  try {
    const ui = await page.evaluate(() => window.genlab.ui());
    assert.equal(ui.view, 'text');
    assert.equal(ui.theme, 'light');
    assert.deepEqual(ui.lock, ['temperature']);
    // Wait for the model: its description line moves the controls down once it is in.
    await page.waitForFunction(() => window.genlab.state().weights['char_lstm.safetensors']?.status === 'ready',
                               null, { timeout: 90_000 });
    await frames(page, 3);
    const s = await panelState(page);
    assert.equal(s.panel, 'text');
    // Only the temperature slider is drawn (the text panel remembers the widgets it drew).
    const widgets = Object.keys(s.state.widgets);
    assert.deepEqual(widgets, ['temperature'], `drawn widgets: ${widgets}`);
    // Locked: dragging the slider does not move the temperature.
    const [x, y, w, h] = s.state.widgets.temperature;
    // ImGui 1.86 reads one mouse state per frame: give every step of the drag its own frames.
    const drag = async () => {
      await page.mouse.move(x + 4, y + h / 2);
      await frames(page, 2);
      await page.mouse.down();
      await frames(page, 2);
      for (let i = 1; i <= 4; i++) {
        await page.mouse.move(x + 4 + (w - 8) * i / 4, y + h / 2);
        await frames(page, 2);
      }
      await page.mouse.up();
      await frames(page, 3);
    };
    await drag();
    assert.equal((await panelState(page)).state.temperature, 0.5, 'a locked slider does not move');
    // Light theme: most of the canvas is the light background.
    const png = await screenshot(page, 'lesson-flags-light');
    const { foreground, total } = await countForegroundPixels(page, png, [247, 247, 250], 12);
    assert.ok(foreground < total * 0.5, `light background expected; ${foreground}/${total} pixels differ from it`);

    // Unlocked, the same drag moves it.
    await page.evaluate(() => { location.hash = '#view=text&hide=all&show=temperature&temperature=0.5'; });
    await frames(page, 3);
    assert.deepEqual((await page.evaluate(() => window.genlab.ui())).lock, [], 'unlocked');
    await drag();
    assert.notEqual((await panelState(page)).state.temperature, 0.5, 'an unlocked slider moves');
    assert.deepEqual(errors, [], 'no console errors or page errors');
  } finally {
    await context.close();
  }
});
