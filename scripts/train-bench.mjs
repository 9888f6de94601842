// The Train panel's benchmark in headless Chromium (issue 15): prints numbers, asserts nothing.
//
//   node scripts/train-bench.mjs throughput [--seconds 15] [--kinds vae,gan,rnn]   both paths, same models: the page's
//        time slices (backend=page, the old path) vs the Web Worker; items/s, UI-thread ms per
//        frame spent on training (state().train_ms, timing.tick_ms), frame intervals
//   node scripts/train-bench.mjs recipe [--seconds 60] [--kinds gan,rnn,vae]   Play with the
//        defaults for 60 s in the worker, download the weights, judge them outside the page:
//        GAN: `genlab eval gan --n 1000` (confident share, class histogram); char-RNN: 3,000
//        sampled characters (T 0.8), share of alphabetic tokens in /usr/share/dict/words
//        (Debian wamerican); VAE: -ELBO (mean of the last 20 training batches) in both paths
//   node scripts/train-bench.mjs soak [--minutes 30] [--every 30]   GAN in the worker: heap of
//        both modules, NaN-guard events, frame intervals every 30 s
// Results also go to build/bench/train-<mode>.json. Run after `bash scripts/setup.sh`; on the
// shared 2-core machine run it under `flock -x /work/notes/heavy.lock`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './static-server.mjs';
import { launchChromium } from '../tests/e2e/browser.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const site = process.env.GENLAB_SITE_DIR || path.join(repo, 'build/site');
const outDir = path.join(repo, 'build/bench');
const genlab = path.join(repo, 'build/native/genlab');
const args = process.argv.slice(2);
const mode = args[0] || 'throughput';
const opt = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * p))] : NaN; };
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

function machine() {
  const cpu = os.cpus()[0]?.model || 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

async function openTrain(env, { kind, backend }) {
  const context = await env.browser.newContext({ viewport: { width: 1200, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(env.server.url);
  await page.waitForFunction(() => window.genlab && window.genlab.ready(), null, { timeout: 120_000 });
  // The backend first (before the panel starts the worker), then the panel and the model.
  const set = backend === 'page' ? { panel: 'train', backend: 'page', kind } : { panel: 'train', kind };
  await page.evaluate((s) => window.genlab.set(s), set);
  await page.waitForFunction((b) => { const s = window.genlab.state().state; return s.ready && s.backend === b; },
                             backend, { timeout: 120_000 });
  return { context, page };
}

const trainState = (page) => page.evaluate(() => window.genlab.state().state);
const timing = (page) => page.evaluate(() => window.genlab.state().timing);

// requestAnimationFrame intervals over `ms`, measured in the page, and the UI-thread training
// ms per frame sampled alongside.
function frameIntervals(page, ms) {
  return page.evaluate((duration) => new Promise((resolve) => {
    const times = [], train = [];
    const t0 = performance.now();
    const step = (t) => {
      times.push(t);
      train.push(window.genlab.state().state.train_ms);
      if (t - t0 < duration) requestAnimationFrame(step);
      else resolve({ intervals: times.slice(1).map((v, i) => v - times[i]), train_ms: train });
    };
    requestAnimationFrame(step);
  }), ms);
}

async function download(page, file) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }),
                                  page.evaluate(() => window.genlab.query('train', { op: 'download' }))]);
  await dl.saveAs(file);
  return file;
}

async function throughput(env) {
  const seconds = Number(opt('seconds', 15));
  const kinds = opt('kinds', 'vae,gan,rnn').split(',');
  const rows = [];
  for (const kind of kinds) {
    for (const backend of ['page', 'worker']) {
      const { context, page } = await openTrain(env, { kind, backend });
      const idle = await frameIntervals(page, 2000);
      await page.evaluate(() => window.genlab.set({ running: true }));
      await sleep(3000);  // warm-up
      const s0 = await trainState(page), t0 = Date.now();
      const frames = await frameIntervals(page, seconds * 1000);
      const s1 = await trainState(page), t1 = Date.now();
      const tm = await timing(page);
      await page.evaluate(() => window.genlab.set({ running: false }));
      const steps = s1.step - s0.step;
      const row = { kind, backend, seconds: (t1 - t0) / 1000, steps, items_per_step: s1.items_per_step,
                    items_per_second: steps * s1.items_per_step / ((t1 - t0) / 1000),
                    ui_train_ms_per_frame_mean: mean(frames.train_ms), ui_train_ms_per_frame_max: Math.max(...frames.train_ms),
                    tick_ms: tm.tick_ms, frame_ms_cpu: tm.frame_ms,
                    idle_frame_median_ms: median(idle.intervals), frame_median_ms: median(frames.intervals),
                    frame_p95_ms: pct(frames.intervals, 0.95), frames: frames.intervals.length };
      rows.push(row);
      console.log(`${kind.padEnd(4)} ${backend.padEnd(7)} ${f(row.items_per_second, 0).padStart(7)} ${kind === 'rnn' ? 'chars' : 'samples'}/s` +
                  `  UI ms/frame on training ${f(row.ui_train_ms_per_frame_mean, 2)} (max ${f(row.ui_train_ms_per_frame_max, 1)})` +
                  `  frame median ${f(row.frame_median_ms)} ms (idle ${f(row.idle_frame_median_ms)}), p95 ${f(row.frame_p95_ms)}`);
      await context.close();
    }
  }
  console.log('\nratio worker / page (items/s):');
  for (const kind of kinds) {
    const p = rows.find((r) => r.kind === kind && r.backend === 'page'), w = rows.find((r) => r.kind === kind && r.backend === 'worker');
    console.log(`  ${kind}: ${f(w.items_per_second / p.items_per_second, 2)}x`);
  }
  return rows;
}

function judgeGan(file) {
  const text = execFileSync(genlab, ['eval', 'gan', '--n', '1000', '--weights', file, '--no-floor'], { encoding: 'utf8' });
  const confident = Number(/confident \(p>=0\.90\)\s+([\d.]+)/.exec(text)?.[1]);
  const hist = [...(/class histogram\s+(.*)/.exec(text)?.[1] || '').matchAll(/(\d):\s*([\d.]+)%/g)].map((m) => Number(m[2]));
  return { confident, class_histogram_percent: hist, min_class_percent: Math.min(...hist), report: text.trim() };
}

function judgeRnn(file, seed = 1) {
  const text = execFileSync(genlab, ['sample', 'rnn', '--weights', file, '--length', '3000', '--seed', String(seed)],
                            { encoding: 'utf8', maxBuffer: 1 << 24 });
  const words = new Set(fs.readFileSync('/usr/share/dict/words', 'utf8').split('\n').map((w) => w.trim()).filter(Boolean));
  const tokens = text.match(/[A-Za-z]+/g) || [];
  const known = tokens.filter((t) => words.has(t) || words.has(t.toLowerCase())).length;
  return { tokens: tokens.length, dictionary_share: known / Math.max(1, tokens.length), sample: text.slice(0, 300) };
}

async function recipe(env) {
  const seconds = Number(opt('seconds', 60));
  const kinds = opt('kinds', 'gan,rnn,vae').split(',');
  const results = [];
  fs.mkdirSync(outDir, { recursive: true });
  for (const kind of kinds) {
    for (const backend of kind === 'vae' ? ['page', 'worker'] : ['worker']) {
      const { context, page } = await openTrain(env, { kind, backend });
      await page.evaluate(() => window.genlab.set({ running: true }));
      await sleep(seconds * 1000);
      await page.evaluate(() => window.genlab.set({ running: false }));
      await sleep(500);
      const s = await trainState(page);
      const file = await download(page, path.join(outDir, `train-recipe-${kind}-${backend}.safetensors`));
      const r = { kind, backend, seconds, step: s.step, lr: s.lr, batch: s.batch, last_loss: s.last_loss,
                  guard_events: s.guard_events, d_real: s.d_real, d_fake: s.d_fake };
      if (kind === 'gan') Object.assign(r, judgeGan(file));
      if (kind === 'rnn') Object.assign(r, judgeRnn(file));
      results.push(r);
      const summary = kind === 'gan' ? `confident ${f(100 * r.confident)}%, smallest class ${f(r.min_class_percent)}%`
        : kind === 'rnn' ? `dictionary words ${f(100 * r.dictionary_share)}% of ${r.tokens} tokens`
        : `-ELBO ${f(r.last_loss)} nats`;
      console.log(`${kind} ${backend}: ${r.step} steps in ${seconds} s (lr ${r.lr}, batch ${r.batch}): ${summary}`);
      if (kind === 'rnn') console.log(`  sample: ${JSON.stringify(r.sample.slice(0, 200))}`);
      await context.close();
    }
  }
  return results;
}

async function soak(env) {
  const minutes = Number(opt('minutes', 30));
  const { context, page } = await openTrain(env, { kind: 'gan', backend: 'worker' });
  await page.evaluate(() => window.genlab.set({ running: true }));
  const samples = [];
  const t0 = Date.now();
  while (Date.now() - t0 < minutes * 60_000) {
    await sleep(Number(opt('every', 30)) * 1000 - 2000);
    const frames = await frameIntervals(page, 2000);
    const s = await trainState(page);
    const row = { minute: (Date.now() - t0) / 60_000, step: s.step, guard_events: s.guard_events,
                  worker_heap_bytes: s.worker_heap?.heap_bytes, worker_heap_used: s.worker_heap?.heap_used,
                  page_heap_bytes: s.page_heap?.heap_bytes, page_heap_used: s.page_heap?.heap_used,
                  frame_median_ms: median(frames.intervals), frame_p95_ms: pct(frames.intervals, 0.95),
                  frame_max_ms: Math.max(...frames.intervals), ui_train_ms: mean(frames.train_ms),
                  d_real: s.d_real, d_fake: s.d_fake, error: s.error, guard_message: s.guard_message };
    samples.push(row);
    console.log(`${f(row.minute)} min  step ${row.step}  worker heap ${row.worker_heap_bytes} (used ${row.worker_heap_used})` +
                `  page heap ${row.page_heap_bytes} (used ${row.page_heap_used})  guard ${row.guard_events}` +
                `  frames median ${f(row.frame_median_ms)} p95 ${f(row.frame_p95_ms)} max ${f(row.frame_max_ms)} ms` +
                `  UI train ms ${f(row.ui_train_ms, 2)}  D(real) ${f(row.d_real, 2)} D(fake) ${f(row.d_fake, 2)}`);
  }
  await context.close();
  return samples;
}

const env = { server: await startServer({ root: site, port: 0 }), browser: await launchChromium() };
console.log(`train-bench ${mode}: ${machine()}`);
try {
  const result = mode === 'recipe' ? await recipe(env) : mode === 'soak' ? await soak(env) : await throughput(env);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `train-${mode}.json`), JSON.stringify({ machine: machine(), result }, null, 1));
  console.log(`done: ${machine()}; build/bench/train-${mode}.json`);
} finally {
  await env.browser.close();
  await env.server.close();
}
