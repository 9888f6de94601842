// The side-by-side bench: GenLab (wasm) vs TensorFlow.js (wasm SIMD, cpu) vs onnxruntime-web
// (wasm) in ONE headless Chromium run of tests/bench/web/bench.html, plus GenLab native on the
// same workloads (build/native/genlab_bench_models), GEMM GFLOP/s native vs wasm, and page
// weight. Prints tables and writes build/bench/results.json.
//
//   node scripts/bench-web.mjs [--runs N] [--warmup N] [--quick] [--no-native] [--only W1,W2]
//   (--only: just the workloads named or prefixed, e.g. --only 'gan generate,vae encode'; a screen)
//   (scripts/bench.sh runs it after the GEMM bench; everything is built by scripts/setup.sh)
//
// All libraries are served locally from node_modules; nothing is downloaded.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startServer } from './static-server.mjs';
import { launchChromium } from '../tests/e2e/browser.mjs';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'build/bench');
export const IMPLS = ['genlab-wasm', 'tfjs-wasm', 'tfjs-cpu', 'ort-wasm'];
export const WORKLOADS = ['gan generate b1', 'gan generate b64', 'vae decode b1', 'vae decode b64',
                          'vae encode b64', 'rnn 1000 chars', 'train vae b64', 'train gan b64', 'train rnn 64x32'];

const nm = (p) => path.join(repo, 'node_modules', p);
// What each panel of the page loads (besides the page itself), for the page weight.
const SITE = {
  'bench.html': 'tests/bench/web/bench.html',
  'bench.mjs': 'tests/bench/web/bench.mjs',
  'genlab.mjs': 'tests/bench/web/genlab.mjs',
  'safetensors.mjs': 'tests/bench/web/safetensors.mjs',
  'tfjs_models.mjs': 'tests/bench/web/tfjs_models.mjs',
  'genlab_bench_web.mjs': 'build/wasm/genlab_bench_web.mjs',
  'genlab_bench_web.wasm': 'build/wasm/genlab_bench_web.wasm',
  'tfjs/tf.min.js': nm('@tensorflow/tfjs/dist/tf.min.js'),
  'tfjs/tf-backend-wasm.min.js': nm('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js'),
  'tfjs/tfjs-backend-wasm-simd.wasm': nm('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'),
  'tfjs/tfjs-backend-wasm.wasm': nm('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
  'tfjs/tfjs-backend-wasm-threaded-simd.wasm': nm('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm'),
  'ort/ort.wasm.min.js': nm('onnxruntime-web/dist/ort.wasm.min.js'),
  'ort/ort-wasm-simd-threaded.mjs': nm('onnxruntime-web/dist/ort-wasm-simd-threaded.mjs'),
  'ort/ort-wasm-simd-threaded.wasm': nm('onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'),
  'weights/gan.safetensors': 'weights/gan.safetensors',
  'weights/vae16.safetensors': 'weights/vae16.safetensors',
  'weights/char_lstm.safetensors': 'weights/char_lstm.safetensors',
  'data/corpus-excerpt.txt': 'build/data/corpus-excerpt.txt',
};
const WEIGHTS = ['weights/gan.safetensors', 'weights/vae16.safetensors', 'weights/char_lstm.safetensors'];
const ONNX = ['onnx/gan.onnx', 'onnx/vae-decoder.onnx', 'onnx/vae-encoder.onnx', 'onnx/rnn-cell.onnx'];
const PANELS = {
  'genlab-wasm': ['genlab_bench_web.mjs', 'genlab_bench_web.wasm', ...WEIGHTS],
  'tfjs-wasm': ['tfjs/tf.min.js', 'tfjs/tf-backend-wasm.min.js', 'tfjs/tfjs-backend-wasm-simd.wasm', ...WEIGHTS],
  'tfjs-cpu': ['tfjs/tf.min.js', ...WEIGHTS],
  'ort-wasm': ['ort/ort.wasm.min.js', 'ort/ort-wasm-simd-threaded.mjs', 'ort/ort-wasm-simd-threaded.wasm', ...ONNX],
};

// Builds build/bench/site: copies of the page, the modules, the libraries and the weights, and
// the ONNX graphs exported from the same weights by the native CLI.
export function buildSite() {
  const site = path.join(out, 'site');
  fs.rmSync(site, { recursive: true, force: true });
  for (const [dst, src] of Object.entries(SITE)) {
    const from = path.isAbsolute(src) ? src : path.join(repo, src);
    if (!fs.existsSync(from)) throw new Error(`${from} is missing: run bash scripts/setup.sh first`);
    fs.mkdirSync(path.dirname(path.join(site, dst)), { recursive: true });
    fs.copyFileSync(from, path.join(site, dst));
  }
  fs.mkdirSync(path.join(site, 'onnx'));
  const genlab = path.join(repo, 'build/native/genlab');
  for (const [graph, weights] of [['gan', 'gan'], ['vae-decoder', 'vae16'], ['vae-encoder', 'vae16'],
                                  ['rnn-cell', 'char_lstm']]) {
    execFileSync(genlab, ['export', '--onnx', graph, path.join(repo, `weights/${weights}.safetensors`),
                          path.join(site, `onnx/${graph}.onnx`)], { stdio: 'pipe' });
  }
  return site;
}

export function pageWeights(site) {
  const weights = {};
  for (const [impl, files] of Object.entries(PANELS)) {
    let raw = 0, gzip = 0;
    for (const f of files) {
      const bytes = fs.readFileSync(path.join(site, f));
      raw += bytes.length;
      gzip += zlib.gzipSync(bytes, { level: 9 }).length;
    }
    weights[impl] = { raw_bytes: raw, gzip_bytes: gzip, files };
  }
  return weights;
}

// Runs the page in headless Chromium; resolves to { rows, env } from window.benchResult.
export async function runPage({ runs = 20, warmup = 2, only = '', log = console.log, timeoutMs = 30 * 60_000 } = {}) {
  const site = buildSite();
  const server = await startServer({ root: site, port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('console', (msg) => {
      const text = msg.text();
      if (msg.type() === 'error') errors.push(text);
      if (text.startsWith('bench row: ')) {
        const r = JSON.parse(text.slice('bench row: '.length));
        if (r.unsupported) { log(`  ${r.workload.padEnd(18)} ${r.impl.padEnd(12)} unsupported: ${r.unsupported}`); return; }
        log(`  ${r.workload.padEnd(18)} ${r.impl.padEnd(12)} median ${r.median_ms.toFixed(3)} ms  diff ${r.max_abs_diff}`);
      }
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}bench.html?runs=${runs}&warmup=${warmup}&only=${encodeURIComponent(only)}`);
    await page.waitForFunction(() => window.benchResult, null, { timeout: timeoutMs, polling: 500 });
    const result = await page.evaluate(() => window.benchResult);
    result.errors = errors;
    result.page_weight = pageWeights(site);
    return result;
  } finally {
    await browser.close();
    await server.close();
  }
}

function runNative(runs) {
  const exe = path.join(repo, 'build/native/genlab_bench_models');
  const json = path.join(out, 'native.json');
  execFileSync(exe, ['--runs', String(runs), '--json', json], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
  return JSON.parse(fs.readFileSync(json, 'utf8'));
}

// "name ... gflops" rows of a genlab_bench_gemm run.
function runGemm(quick) {
  const args = quick ? ['--quick'] : [];
  const parse = (text) => text.trim().split('\n').slice(2).map((line) => {
    const parts = line.trim().split(/\s+/);
    return { name: parts.slice(0, -1).join(' '), gflops: Number(parts.at(-1)) };
  });
  const native = parse(execFileSync(path.join(repo, 'build/native/genlab_bench_gemm'), args, { encoding: 'utf8' }));
  const wasm = parse(execFileSync('node', ['--no-experimental-fetch', path.join(repo, 'build/wasm/genlab_bench_gemm.js'), ...args],
                                  { encoding: 'utf8' }));
  return native.map((n, i) => ({ name: n.name, native_gflops: n.gflops, wasm_gflops: wasm[i]?.gflops,
                                 wasm_over_native: wasm[i] ? wasm[i].gflops / n.gflops : null }));
}

const fmt = (ms) => (ms == null ? '-' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

export function formatTables(result) {
  const lines = [];
  const byKey = new Map(result.rows.map((r) => [`${r.workload}|${r.impl}`, r]));
  const native = new Map((result.native?.rows || []).map((r) => [r.name, r]));
  lines.push('Median ms (min-max) of ' + result.env.runs + ' runs after ' + result.env.warmup + ' warm-up; ratio = GenLab wasm / best other');
  lines.push(`| workload | ${IMPLS.join(' | ')} | GenLab native | wasm/native | GenLab vs best other |`);
  lines.push(`|---|${IMPLS.map(() => '---:').join('|')}|---:|---:|---:|`);
  for (const w of WORKLOADS) {
    const cells = IMPLS.map((impl) => {
      const r = byKey.get(`${w}|${impl}`);
      if (r?.unsupported) return 'n/a¹';
      return r ? `${fmt(r.median_ms)} (${fmt(r.min_ms)}-${fmt(r.max_ms)})` : '-';
    });
    const g = byKey.get(`${w}|genlab-wasm`);
    const others = IMPLS.slice(1).map((impl) => byKey.get(`${w}|${impl}`)).filter((r) => r && !r.unsupported);
    const best = others.length ? Math.min(...others.map((r) => r.median_ms)) : null;
    const n = native.get(w);
    lines.push(`| ${w} | ${cells.join(' | ')} | ${n ? fmt(n.median_ms) : '-'} | ${n && g ? (g.median_ms / n.median_ms).toFixed(2) + 'x' : '-'} | ${g && best ? (g.median_ms / best).toFixed(2) + 'x' : '-'} |`);
  }
  const unsupported = result.rows.filter((r) => r.unsupported);
  if (unsupported.length) lines.push(`¹ ${unsupported.map((r) => `${r.impl} ${r.workload}: ${r.unsupported.split('\n')[0]}`).join('; ')}`);
  lines.push('');
  lines.push('Max abs diff vs GenLab (inference: every output element; training: RELATIVE diff of the first step loss from the same weights, data and noise)');
  lines.push(`| workload | ${IMPLS.slice(1).join(' | ')} |`);
  lines.push(`|---|${IMPLS.slice(1).map(() => '---:').join('|')}|`);
  for (const w of WORKLOADS) {
    lines.push(`| ${w} | ${IMPLS.slice(1).map((impl) => { const r = byKey.get(`${w}|${impl}`); return r && !r.unsupported ? Number(r.max_abs_diff).toExponential(1) : r ? 'n/a' : '-'; }).join(' | ')} |`);
  }
  if (result.gemm) {
    lines.push('');
    lines.push('| GEMM (M x K x N) | native GFLOP/s | wasm GFLOP/s | wasm/native |');
    lines.push('|---|---:|---:|---:|');
    for (const g of result.gemm) lines.push(`| ${g.name} | ${g.native_gflops.toFixed(2)} | ${g.wasm_gflops?.toFixed(2)} | ${g.wasm_over_native?.toFixed(2)} |`);
  }
  if (result.page_weight) {
    lines.push('');
    lines.push('| panel | files | bytes | gzip bytes |');
    lines.push('|---|---|---:|---:|');
    for (const [impl, w] of Object.entries(result.page_weight)) lines.push(`| ${impl} | ${w.files.map((f) => path.basename(f)).join(', ')} | ${w.raw_bytes} | ${w.gzip_bytes} |`);
  }
  return lines.join('\n');
}

async function main() {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const value = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : fallback; };
  const runs = value('--runs', quick ? 3 : 20), warmup = value('--warmup', quick ? 1 : 2);
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : '';
  fs.mkdirSync(out, { recursive: true });
  const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadavg_before: os.loadavg(), node: process.version };
  let native = null, gemm = null;
  if (!args.includes('--no-native')) {
    console.log('== GenLab native (build/native/genlab_bench_models)');
    native = runNative(runs);
    console.log('== GEMM native vs wasm');
    gemm = runGemm(quick);
  }
  console.log(`== browser: ${runs} runs per row after ${warmup} warm-up`);
  const result = await runPage({ runs, warmup, only });
  if (result.error) {
    console.error(`bench page failed: ${result.error}\n${result.errors.join('\n')}`);
    process.exit(1);
  }
  result.native = native;
  result.gemm = gemm;
  machine.loadavg_after = os.loadavg();
  result.machine = machine;
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(result, null, 2));
  console.log('');
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadavg_before.map((x) => x.toFixed(2)).join(' ')} before, ${machine.loadavg_after.map((x) => x.toFixed(2)).join(' ')} after; ${result.env.userAgent}`);
  console.log(formatTables(result));
  console.log(`\nwrote ${path.relative(repo, path.join(out, 'results.json'))}`);
  if (result.error || result.errors.length) {
    console.error(`bench page errors: ${result.error || ''} ${result.errors.join('\n')}`);
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
