// The bench page: GenLab (wasm), TensorFlow.js (wasm backend with SIMD, and cpu backend) and
// onnxruntime-web (wasm) on the same workloads, weights and inputs, one after the other in one
// page. URL parameters: runs (timed runs per row, default 20), warmup (default 2), only (comma-
// separated workload names or prefixes, e.g. "gan generate,vae encode": only those rows run;
// GenLab's output is still computed once as the other rows' reference).
// Results: window.benchResult = { rows, env } (scripts/bench-web.mjs reads it); progress is
// logged to the console.
import { loadGenlab } from './genlab.mjs';
import { parseSafetensors, vocabOf } from './safetensors.mjs';
import * as tfm from './tfjs_models.mjs';

const params = new URLSearchParams(location.search);
const RUNS = Number(params.get('runs') || 20);
const WARMUP = Number(params.get('warmup') || 2);
const ONLY = (params.get('only') || '').split(',').map((w) => w.trim()).filter(Boolean);
const wanted = (workload) => !ONLY.length || ONLY.some((w) => workload.startsWith(w));
const rows = [];

// Deterministic inputs (mulberry32 + Box-Muller), identical for every implementation.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function normals(n, seed) {
  const r = rng(seed), out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}
function uniforms(n, seed) {
  const r = rng(seed), out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r();
  return out;
}

const median = (v) => { const s = [...v].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
function maxAbsDiff(a, b) {
  if (!a || !b) return null;
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

// Training rows: relative difference of the first step's loss.
const relDiff = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? Math.abs(a - b) / Math.max(Math.abs(b), 1e-6) : Infinity);

// Times fn (sync or async): WARMUP calls, then RUNS samples. performance.now() is coarsened
// (0.1 ms without cross-origin isolation), so a sample repeats fast calls until it spans
// >= 10 ms and reports the time per call. fn returns its output.
async function timeRow(workload, impl, fn, reference, { diffOf = null, losses = undefined } = {}) {
  if (!wanted(workload)) return impl === 'genlab-wasm' ? fn() : null;
  let out;
  for (let i = 0; i < WARMUP; i++) out = await fn();
  let t0 = performance.now();
  out = await fn();
  const single = performance.now() - t0;
  const repeat = Math.max(1, Math.min(1000, Math.ceil(10 / Math.max(single, 0.01))));
  const ms = [];
  for (let i = 0; i < RUNS; i++) {
    t0 = performance.now();
    for (let k = 0; k < repeat; k++) out = await fn();
    ms.push((performance.now() - t0) / repeat);
  }
  let diff = diffOf ? diffOf() : maxAbsDiff(out, reference);
  if (diff !== null && !Number.isFinite(diff)) diff = String(diff);  // JSON has no Infinity/NaN
  const row = { workload, impl, median_ms: median(ms), min_ms: Math.min(...ms), max_ms: Math.max(...ms),
                runs: RUNS, calls_per_run: repeat, warmup: WARMUP, max_abs_diff: diff,
                first_step_loss_vs_genlab: losses };
  rows.push(row);
  console.log(`bench row: ${JSON.stringify(row)}`);
  return out;
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function main() {
  const files = {
    gan: await fetchBytes('weights/gan.safetensors'),
    vae: await fetchBytes('weights/vae16.safetensors'),
    rnn: await fetchBytes('weights/char_lstm.safetensors'),
  };
  const st = Object.fromEntries(Object.entries(files).map(([k, b]) => [k, parseSafetensors(b.slice().buffer)]));
  const text = new TextDecoder().decode(await fetchBytes('data/corpus-excerpt.txt'));
  const vocab = vocabOf(st.rnn.metadata);
  const rnnIds = vocab.encode(text.slice(0, 1000));
  const L = st.gan.tensors['generator.fc.weight'].shape[1];
  const Z = st.vae.tensors['fc_mu.weight'].shape[0];
  const inputs = {
    gan1: normals(1 * L, 1), gan64: normals(64 * L, 2), vae1: normals(1 * Z, 3), vae64: normals(64 * Z, 4),
    images64: uniforms(64 * 784, 5),
  };

  // ---- GenLab (wasm) -------------------------------------------------------------------------
  const G = await loadGenlab();
  G.load(0, files.gan); G.load(1, files.vae); G.load(2, files.rnn);
  const ref = {};
  G.ganSet(inputs.gan1, 1);
  ref.gan1 = await timeRow('gan generate b1', 'genlab-wasm', () => { G.ganGenerate(); return G.output(784); }, null);
  G.ganSet(inputs.gan64, 64);
  ref.gan64 = await timeRow('gan generate b64', 'genlab-wasm', () => { G.ganGenerate(); return G.output(64 * 784); }, null);
  G.vaeDecodeSet(inputs.vae1, 1);
  ref.vae1 = await timeRow('vae decode b1', 'genlab-wasm', () => { G.vaeDecode(); return G.output(784); }, null);
  G.vaeDecodeSet(inputs.vae64, 64);
  ref.vae64 = await timeRow('vae decode b64', 'genlab-wasm', () => { G.vaeDecode(); return G.output(64 * 784); }, null);
  G.vaeEncodeSet(inputs.images64, 64);
  ref.enc64 = await timeRow('vae encode b64', 'genlab-wasm', () => { G.vaeEncode(); return G.output(2 * 64 * Z); }, null);
  G.rnnSet(rnnIds);
  ref.rnn = await timeRow('rnn 1000 chars', 'genlab-wasm', () => { G.rnnRun(); return G.output(vocab.chars.length); }, null);
  for (const r of rows) r.max_abs_diff = 0;  // GenLab is the reference

  // Training: the first step's inputs (noise, latents, batch) and losses are what tfjs repeats.
  const train = {};
  G.vaeTrainInit(inputs.images64, 64);
  train.vae = { loss: [G.vaeTrainStep()], eps: G.vaeTrainEps() };
  await timeRow('train vae b64', 'genlab-wasm', () => G.vaeTrainStep(), null, { diffOf: () => 0 });
  G.ganTrainInit(inputs.images64, 64);
  train.gan = { d: G.ganDiscriminator() };
  train.gan.loss = [G.ganTrainStep(), G.ganTrainGLoss()];
  train.gan.z = G.ganTrainZ();
  await timeRow('train gan b64', 'genlab-wasm', () => G.ganTrainStep(), null, { diffOf: () => 0 });
  const codes = Float32Array.from(text, (c) => c.charCodeAt(0));
  G.rnnTrainInit(codes, 64, 32);
  train.rnn = { loss: [G.rnnTrainStep()] };
  const batch = G.rnnTrainBatch();
  train.rnn.inputs = Array.from(batch.subarray(0, 64 * 32));
  train.rnn.targets = Array.from(batch.subarray(64 * 32));
  await timeRow('train rnn 64x32', 'genlab-wasm', () => G.rnnTrainStep(), null, { diffOf: () => 0 });

  // ---- TensorFlow.js, wasm (SIMD) then cpu backend -------------------------------------------
  tf.wasm.setWasmPaths(new URL('tfjs/', location.href).href);
  for (const backend of ['wasm', 'cpu']) {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
    await tf.ready();
    const impl = `tfjs-${backend}`;
    const gen = tfm.ganGenerator(st.gan), vae = tfm.vae(st.vae), lstm = tfm.charLstm(st.rnn);
    const run = (fn) => () => { const y = fn(); const d = y.dataSync(); y.dispose(); return d; };
    const t = {
      gan1: tf.tensor(inputs.gan1, [1, L]), gan64: tf.tensor(inputs.gan64, [64, L]),
      vae1: tf.tensor(inputs.vae1, [1, Z]), vae64: tf.tensor(inputs.vae64, [64, Z]), images64: tf.tensor(inputs.images64, [64, 784]),
    };
    await timeRow('gan generate b1', impl, run(() => tfm.ganGenerate(gen, t.gan1)), ref.gan1);
    await timeRow('gan generate b64', impl, run(() => tfm.ganGenerate(gen, t.gan64)), ref.gan64);
    await timeRow('vae decode b1', impl, run(() => tfm.vaeDecode(vae, t.vae1)), ref.vae1);
    await timeRow('vae decode b64', impl, run(() => tfm.vaeDecode(vae, t.vae64)), ref.vae64);
    await timeRow('vae encode b64', impl, run(() => tfm.vaeEncode(vae, t.images64)), ref.enc64);
    await timeRow('rnn 1000 chars', impl, () => tfm.lstmRun(lstm, rnnIds), ref.rnn);
    tf.dispose([...Object.values(t), ...Object.values(gen).filter((x) => x instanceof tf.Tensor)]);

    // training from the same start as GenLab's first step
    if (wanted('train vae b64')) {
      const m = tfm.vae(st.vae, { variables: true });
      const step = tfm.vaeTrainer(m);
      const x = tf.tensor(inputs.images64, [64, 784]), eps = tf.tensor(train.vae.eps, [64, Z]);
      const first = step(x, eps);
      await timeRow('train vae b64', impl, () => step(x, eps), null,
                    { diffOf: () => relDiff(first, train.vae.loss[0]), losses: [first, train.vae.loss[0]] });
      tf.dispose([x, eps, ...m.trainable]);
    }
    if (wanted('train gan b64')) {
      const g = tfm.ganGenerator(st.gan, { variables: true });
      const d = tfm.ganDiscriminator(train.gan.d, 16);
      const step = tfm.ganTrainer(g, d);
      const x = tf.tensor(inputs.images64, [64, 784]), z = tf.tensor(train.gan.z, [64, L]);
      let first = null;
      try {
        first = step(x, z);
      } catch (e) {
        // tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel: it cannot train a conv net.
        const row = { workload: 'train gan b64', impl, unsupported: String(e.message || e) };
        rows.push(row);
        console.log(`bench row: ${JSON.stringify(row)}`);
      }
      if (first) {
        await timeRow('train gan b64', impl, () => step(x, z), null,
                      { diffOf: () => Math.max(relDiff(first[0], train.gan.loss[0]), relDiff(first[1], train.gan.loss[1])),
                        losses: [first, train.gan.loss] });
      }
      tf.dispose([x, z, ...g.trainable, ...d.trainable]);
    }
    if (wanted('train rnn 64x32')) {
      const m = tfm.charLstm(st.rnn, { variables: true });
      const step = tfm.lstmTrainer(m, 64, 32);
      const first = step(train.rnn.inputs, train.rnn.targets);
      await timeRow('train rnn 64x32', impl, () => step(train.rnn.inputs, train.rnn.targets), null,
                    { diffOf: () => relDiff(first, train.rnn.loss[0]), losses: [first, train.rnn.loss[0]] });
      tf.dispose(m.trainable);
    }
    console.log(`bench: ${impl} done, ${tf.memory().numTensors} tensors alive`);
  }

  // ---- onnxruntime-web (wasm), graphs exported by `genlab export --onnx` ----------------------
  ort.env.wasm.wasmPaths = new URL('ort/', location.href).href;
  ort.env.wasm.numThreads = 1;
  const session = (name) => ort.InferenceSession.create(`onnx/${name}.onnx`, { executionProviders: ['wasm'] });
  const F = (data, dims) => new ort.Tensor('float32', data, dims);
  {
    const s = await session('gan');
    for (const [b, key] of [[1, 'gan1'], [64, 'gan64']]) {
      const feeds = { z: F(inputs[key], [b, L]) };
      await timeRow(`gan generate b${b}`, 'ort-wasm', async () => (await s.run(feeds)).images.data, ref[key]);
    }
  }
  {
    const s = await session('vae-decoder');
    for (const [b, key] of [[1, 'vae1'], [64, 'vae64']]) {
      const feeds = { z: F(inputs[key], [b, Z]) };
      await timeRow(`vae decode b${b}`, 'ort-wasm', async () => (await s.run(feeds)).probs.data, ref[key]);
    }
  }
  {
    const s = await session('vae-encoder');
    const feeds = { images: F(inputs.images64, [64, 784]) };
    await timeRow('vae encode b64', 'ort-wasm', async () => {
      const r = await s.run(feeds);
      const out = new Float32Array(2 * 64 * Z);
      out.set(r.mu.data); out.set(r.logvar.data, 64 * Z);
      return out;
    }, ref.enc64);
  }
  {
    const s = await session('rnn-cell');
    const H = st.rnn.tensors['rnn.weight_hh_l0'].shape[1];
    await timeRow('rnn 1000 chars', 'ort-wasm', async () => {
      let h = F(new Float32Array(H), [1, 1, H]), c = F(new Float32Array(H), [1, 1, H]), logits = null;
      for (const id of rnnIds) {
        const r = await s.run({ char: new ort.Tensor('int64', BigInt64Array.of(BigInt(id)), [1]), h, c });
        h = r.h_out; c = r.c_out; logits = r.logits;
      }
      return logits.data;
    }, ref.rnn);
  }

  window.benchResult = {
    rows,
    env: { userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency,
           crossOriginIsolated: self.crossOriginIsolated, tfjsVersion: tf.version.tfjs, ortVersion: ort.env.versions?.common,
           runs: RUNS, warmup: WARMUP },
  };
}

main().catch((e) => {
  console.error(`bench failed: ${e.stack || e}`);
  window.benchResult = { error: String(e.stack || e), rows };
});
