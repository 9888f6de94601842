// node scripts/screenshots.mjs [--out DIR] [--panels gan,text] [--sizes 1280x800,400x700] [--dpr 1,2]
// Screenshots of every panel for the README (docs/screenshots/<panel>-<w>x<h>@<dpr>x.png), in
// headless Chromium (tests/e2e/browser.mjs) from the built site (build/site; bash scripts/setup.sh).
// Each panel is brought into a state that shows what it does (samples drawn, text generated,
// a few seconds of training) before the picture is taken. Writes only the files it is asked
// for, and with the default arguments deletes the PNGs in the folder it did not write (outdated
// names). Prints each file's size and the total.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './static-server.mjs';
import { launchChromium, collectPageErrors } from '../tests/e2e/browser.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const PANELS = ['gan', 'morph', 'latent', 'draw', 'text', 'train', 'diffusion'];
const outDir = path.resolve(option('out', path.join(repo, 'docs/screenshots')));
const panels = option('panels', PANELS.join(',')).split(',');
const sizes = option('sizes', '1280x800,400x700').split(',').map((s) => s.split('x').map(Number));
const dprs = option('dpr', '1,2').split(',').map(Number);
const complete = !args.includes('--panels') && !args.includes('--sizes') && !args.includes('--dpr');
const siteDir = process.env.GENLAB_SITE_DIR || path.join(repo, 'build/site');
for (const p of panels) if (!PANELS.includes(p)) { console.error(`screenshots: unknown panel ${p} (${PANELS})`); process.exit(2); }
if (!fs.existsSync(path.join(siteDir, 'genlab_app.wasm'))) {
  console.error(`screenshots: ${siteDir}/genlab_app.wasm is missing; run bash scripts/setup.sh first`);
  process.exit(1);
}

const frames = (page, n) => page.evaluate((count) => new Promise((resolve) => {
  let left = count;
  const step = () => (--left <= 0 ? resolve() : requestAnimationFrame(step));
  requestAnimationFrame(step);
}), n);
const until = (page, fn, arg, timeout = 90_000) => page.waitForFunction(fn, arg, { timeout, polling: 100 });
const queryOk = (page, panel, request) => until(page, ({ p, r }) => {
  try { const out = window.genlab.query(p, r); return !out.error && out; } catch { return false; }
}, { p: panel, r: request });

// Brings `panel` to a state worth showing; resolves once it is drawn.
const PREPARE = {
  gan: (page) => until(page, () => window.genlab.state().state.ready && window.genlab.state().state.labels.length > 0),
  morph: async (page) => { await queryOk(page, 'morph', { op: 'strip' }); await page.evaluate(() => window.genlab.set({ t: 0.5 })); },
  latent: async (page) => {
    await queryOk(page, 'latent', { op: 'preview' });
    await until(page, () => window.genlab.query('latent', { op: 'scatter' }).points > 0);
    await page.evaluate(() => window.genlab.set({ point: [0.6, -0.4] }));
  },
  draw: async (page) => {
    // A test digit (the morph panel's endpoint A, a 7) on the pad, as if drawn.
    await page.evaluate(() => window.genlab.set({ panel: 'morph' }));
    const pixels = await (await until(page, () => {
      try { return window.genlab.query('morph', { op: 'input', which: 'a' }).pixels || false; } catch { return false; }
    })).jsonValue();
    await page.evaluate((px) => { window.genlab.set({ panel: 'draw' }); window.genlab.query('draw', { op: 'set_pixels', pixels: px }); }, pixels);
    await until(page, () => window.genlab.query('draw', { op: 'result' }).label >= 0);
  },
  text: async (page) => {
    await until(page, () => window.genlab.query('text', { op: 'status' }).loaded);
    await page.evaluate(() => window.genlab.query('text', { op: 'generate', seed: 3, length: 600, temperature: 0.8 }));
  },
  train: async (page) => {
    await until(page, () => window.genlab.state().state.ready);
    await page.evaluate(() => window.genlab.set({ kind: 'vae', running: true }));
    await until(page, () => window.genlab.state().state.step >= 300, null, 120_000);
    await page.evaluate(() => window.genlab.set({ running: false }));
  },
  diffusion: (page) => until(page, () => window.genlab.state().state.ready),
};

const server = await startServer({ root: siteDir, port: 0 });
const browser = await launchChromium();
fs.mkdirSync(outDir, { recursive: true });
const written = [];
let total = 0;
try {
  for (const [width, height] of sizes) {
    for (const dpr of dprs) {
      for (const panel of panels) {
        const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: dpr });
        const page = await context.newPage();
        const errors = collectPageErrors(page);
        try {
          await page.goto(server.url);
          await until(page, () => window.genlab && window.genlab.ready(), null, 60_000);
          await page.evaluate((p) => window.genlab.set({ panel: p }), panel);
          await PREPARE[panel](page);
          await page.evaluate((p) => window.genlab.set({ panel: p }), panel);
          await page.mouse.move(width - 2, height - 2);  // no hover tooltip in the picture
          await frames(page, 6);
          const name = `${panel}-${width}x${height}@${dpr}x.png`;
          const png = await page.screenshot();
          fs.writeFileSync(path.join(outDir, name), png);
          written.push(name);
          total += png.length;
          console.log(`${name}  ${(png.length / 1024).toFixed(0)} KB${errors.length ? '  page errors: ' + errors.join('; ') : ''}`);
        } finally {
          await context.close();
        }
      }
    }
  }
} finally {
  await browser.close();
  await server.close();
}
if (complete) {
  for (const f of fs.readdirSync(outDir)) {
    if (f.endsWith('.png') && !written.includes(f)) {
      fs.rmSync(path.join(outDir, f));
      console.log(`removed outdated ${f}`);
    }
  }
}
console.log(`${written.length} screenshots, ${(total / 1024).toFixed(0)} KB in ${path.relative(process.cwd(), outDir) || '.'}`);
