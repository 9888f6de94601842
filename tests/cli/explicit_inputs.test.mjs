// Explicit inputs and float outputs (`sample gan|cgan|vae --z FILE`, `--out FILE.f32`,
// `genlab forward classifier|vae|rnn`): what python/tests compares the PyTorch twins against.
//   node --test tests/cli/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const binary = process.env.GENLAB_BIN || path.join(repo, 'build/native/genlab');
let dir;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-explicit-')); });
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name) => path.join(dir, name);

function run(...args) {
  const r = spawnSync(binary, args.map(String), { cwd: repo, timeout: 60_000 });
  return { status: r.status, stderr: r.stderr.toString() };
}
const succeeds = (...args) => assert.equal(run(...args).status, 0, `genlab ${args.join(' ')}`);
function refuses(pattern, ...args) {
  const r = run(...args);
  assert.equal(r.status, 1, `genlab ${args.join(' ')} exited ${r.status}`);
  assert.match(r.stderr, pattern);
}

// Deterministic pseudo-normal values (no Math.random: the test must be reproducible).
function latents(rows, cols, seed) {
  const values = new Float32Array(rows * cols);
  let s = seed;
  for (let i = 0; i < values.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    values[i] = (s / 2147483648 - 0.5) * 4;
  }
  return values;
}
const writeF32 = (name, values) => { fs.writeFileSync(file(name), Buffer.from(values.buffer)); return file(name); };
const readF32 = (name) => { const b = fs.readFileSync(file(name)); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };

test('sample gan --z: float32 images in [0, 1] that round to the .bin bytes; rows do not depend on the batch', () => {
  const z = writeF32('z.f32', latents(5, 64, 1));
  succeeds('sample', 'gan', '--z', z, '--out', file('five.f32'));
  succeeds('sample', 'gan', '--z', z, '--out', file('five.bin'));
  succeeds('sample', 'gan', '--z', writeF32('z1.f32', latents(5, 64, 1).slice(0, 64)), '--out', file('one.f32'));
  const five = readF32('five.f32'), one = readF32('one.f32'), bytes = fs.readFileSync(file('five.bin'));
  assert.equal(five.length, 5 * 784);
  assert.equal(bytes.length, 5 * 784);
  for (let i = 0; i < five.length; i++) {
    assert.ok(five[i] >= 0 && five[i] <= 1, `pixel ${i} = ${five[i]}`);
    assert.equal(bytes[i], Math.round(five[i] * 255), `pixel ${i}`);
  }
  for (let i = 0; i < 784; i++) assert.ok(Math.abs(one[i] - five[i]) < 1e-6, `row 0 pixel ${i}`);
});

test('sample cgan and vae --z decode the given latents', () => {
  succeeds('sample', 'cgan', '--z', writeF32('zc.f32', latents(3, 64, 2)), '--label', 4, '--out', file('c.f32'));
  assert.equal(readF32('c.f32').length, 3 * 784);
  succeeds('sample', 'vae', '--z', writeF32('zv.f32', latents(7, 16, 3)), '--out', file('v.f32'));
  assert.equal(readF32('v.f32').length, 7 * 784);
});

test('forward classifier|vae|rnn write logits, features, mu and logvar of the right shapes', () => {
  const images = file('images.f32');
  succeeds('sample', 'gan', '--z', writeF32('z6.f32', latents(6, 64, 4)), '--out', images);
  succeeds('forward', 'classifier', '--images', images, '--out', file('logits.f32'), '--features', file('features.f32'));
  assert.equal(readF32('logits.f32').length, 6 * 10);
  assert.equal(readF32('features.f32').length, 6 * 128);
  succeeds('forward', 'vae', '--images', images, '--out', file('ml.f32'));
  assert.equal(readF32('ml.f32').length, 6 * 2 * 16);
  fs.writeFileSync(file('text.txt'), 'The hacker \u2014 ok');  // the dash becomes "--"
  succeeds('forward', 'rnn', '--weights', 'weights/char_gru.safetensors', '--text', file('text.txt'), '--out', file('rnn.f32'));
  assert.equal(readF32('rnn.f32').length, 'The hacker -- ok'.length * 96);
});

test('bad explicit inputs fail with a message naming the option', () => {
  const z = writeF32('z2.f32', latents(2, 64, 5));
  refuses(/--z .*not a whole number of rows of 16 float32/, 'sample', 'vae', '--z', writeF32('z70.f32', latents(1, 70, 5)),
          '--out', file('x.f32'));
  refuses(/--n 3 but --z holds 2 latents/, 'sample', 'gan', '--z', z, '--n', 3, '--out', file('x.f32'));
  const nan = latents(1, 64, 6);
  nan[10] = NaN;
  refuses(/--z .*value 10 \(row 0\) is not finite/, 'sample', 'gan', '--z', writeF32('nan.f32', nan), '--out', file('x.f32'));
  refuses(/cannot|No such|not found/i, 'sample', 'gan', '--z', file('missing.f32'), '--out', file('x.f32'));
  refuses(/--z decodes the given latents/, 'sample', 'vae', '--z', z, '--mode', 'reconstructions', '--out', file('x.png'));
  refuses(/--images .*rows of 784 float32/, 'forward', 'classifier', '--images', z, '--out', file('x.f32'));
  refuses(/--out FILE.f32 is required/, 'forward', 'vae', '--images', z);
  fs.writeFileSync(file('empty.txt'), '');
  refuses(/has no characters|0 bytes|empty/, 'forward', 'rnn', '--text', file('empty.txt'), '--out', file('x.f32'));
});
