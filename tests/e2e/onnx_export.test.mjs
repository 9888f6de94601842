// `genlab export --onnx`: every graph the CLI exports from the shipped weights runs in
// onnxruntime (npm onnxruntime-web's wasm backend under node; onnxruntime-node would download
// CUDA binaries from NuGet at install) and agrees with GenLab's own outputs, which the same
// command writes for seeded inputs (--reference). Bad input gives an error, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const genlab = path.join(repo, 'build/native/genlab');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-onnx-'));
const kTolerance = 1e-4;
ort.env.wasm.numThreads = 1;

function exportGraph(graph, weights) {
  const onnx = path.join(tmp, `${graph}-${path.basename(weights, '.safetensors')}.onnx`);
  const ref = onnx.replace(/\.onnx$/, '.json');
  execFileSync(genlab, ['export', '--onnx', graph, path.join(repo, 'weights', weights), onnx,
                        '--reference', ref], { stdio: 'pipe' });
  return { onnx, reference: JSON.parse(fs.readFileSync(ref, 'utf8')) };
}

function feed(inputs, session) {
  const feeds = {};
  for (const [name, { shape, data }] of Object.entries(inputs)) {
    assert.ok(session.inputNames.includes(name), `graph has no input ${name}`);
    const intInput = name === 'char' || name === 'labels';
    feeds[name] = intInput
      ? new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(v)), shape)
      : new ort.Tensor('float32', Float32Array.from(data), shape);
  }
  return feeds;
}

// Runs every reference case; returns the worst |onnx - genlab| over all outputs.
async function worstDiff({ onnx, reference }) {
  const session = await ort.InferenceSession.create(fs.readFileSync(onnx));
  let worst = 0;
  for (const c of reference.cases) {
    const results = await session.run(feed(c.inputs, session));
    for (const [name, expected] of Object.entries(c.outputs)) {
      const got = results[name];
      assert.ok(got, `missing output ${name}`);
      assert.deepEqual(got.dims.map(Number), expected.shape, `${name} shape`);
      for (let i = 0; i < expected.data.length; i++) {
        const d = Math.abs(got.data[i] - expected.data[i]);
        assert.ok(Number.isFinite(got.data[i]), `${name}[${i}] is ${got.data[i]}`);
        worst = Math.max(worst, d);
      }
    }
  }
  await session.release();
  return worst;
}

const cases = [
  ['gan', 'gan.safetensors', 1],
  ['gan', 'cgan.safetensors', 1],
  ['vae-encoder', 'vae16.safetensors', 1],
  ['vae-decoder', 'vae16.safetensors', 1],
  ['vae-decoder', 'vae2.safetensors', 1],
  ['rnn-cell', 'char_lstm.safetensors', 11],
  ['rnn-cell', 'char_gru.safetensors', 11],
];

for (const [graph, weights, steps] of cases) {
  test(`onnx ${graph} from ${weights} agrees with GenLab within ${kTolerance}`, async () => {
    const exported = exportGraph(graph, weights);
    assert.equal(exported.reference.cases.length, steps);
    const worst = await worstDiff(exported);
    console.log(`  ${graph} ${weights}: max abs diff ${worst.toExponential(2)}`);
    assert.ok(worst <= kTolerance, `max abs diff ${worst} > ${kTolerance}`);
  });
}

test('the comparison can fail: a perturbed reference is caught', async () => {
  const exported = exportGraph('vae-decoder', 'vae2.safetensors');
  exported.reference.cases[0].outputs.probs.data[100] += 1e-3;
  assert.ok(await worstDiff(exported) > kTolerance);
});

function runGenlab(args) {
  const r = spawnSync(genlab, args, { encoding: 'utf8' });
  assert.equal(r.signal, null, `genlab crashed with ${r.signal}: ${r.stderr}`);
  return r;
}

test('bad input: clear error and non-zero exit', () => {
  const garbage = path.join(tmp, 'garbage.safetensors');
  fs.writeFileSync(garbage, Buffer.from('\x10\x00\x00\x00\x00\x00\x00\x00{"a": nonsense}', 'latin1'));
  const truncated = path.join(tmp, 'truncated.safetensors');
  fs.writeFileSync(truncated, fs.readFileSync(path.join(repo, 'weights/gan.safetensors')).subarray(0, 5000));
  const out = path.join(tmp, 'never.onnx');
  const checks = [
    [['export', '--onnx', 'gan', garbage, out], /garbage\.safetensors/],
    [['export', '--onnx', 'gan', truncated, out], /truncated\.safetensors/],
    [['export', '--onnx', 'gan', path.join(tmp, 'missing.safetensors'), out], /missing\.safetensors/],
    [['export', '--onnx', 'gan', path.join(repo, 'weights/vae16.safetensors'), out], /needs a gan or cgan/],
    [['export', '--onnx', 'rnn-cell', path.join(repo, 'weights/gan.safetensors'), out], /needs a char_rnn/],
    [['export', '--onnx', 'unet', path.join(repo, 'weights/gan.safetensors'), out], /unknown graph/],
    [['export', '--onnx', 'gan', path.join(repo, 'weights/gan.safetensors')], /usage: genlab export/],
    [['export', '--onnx', 'gan', path.join(repo, 'weights/gan.safetensors'), path.join(tmp, 'no/dir/x.onnx')],
     /cannot write/],
  ];
  for (const [args, message] of checks) {
    const r = runGenlab(args);
    assert.notEqual(r.status, 0, `${args.join(' ')} exited 0`);
    assert.match(r.stderr, message, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.ok(!fs.existsSync(out), 'no ONNX file is written on error');
});
