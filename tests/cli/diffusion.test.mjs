// `genlab train|sample|eval|forward diffusion` as a user runs them: deterministic sampling,
// labels and guidance, the files written, and clear failures on bad input.
//   node --test tests/cli/        (after bash scripts/setup.sh has built build/native/genlab)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const genlabBinary = process.env.GENLAB_BIN || path.join(repo, 'build/native/genlab');
let tmp;
before(() => {
  assert.ok(fs.existsSync(genlabBinary), `${genlabBinary} is missing: run bash scripts/setup.sh`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-cli-diffusion-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const out = (name) => path.join(tmp, name);

function genlab(args, { timeout = 300_000 } = {}) {
  const r = spawnSync(genlabBinary, args, { cwd: repo, timeout });
  return { status: r.status, signal: r.signal, raw: r.stdout, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
function ok(args) {
  const r = genlab(args);
  assert.equal(r.status, 0, `genlab ${args.join(' ')} exited ${r.status} (${r.signal}):\n${r.stderr}`);
  return r;
}
function fails(args, pattern) {
  const r = genlab(args, { timeout: 60_000 });
  assert.equal(r.signal, null, `genlab ${args.join(' ')} died of ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 1, `genlab ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, pattern, `genlab ${args.join(' ')}`);
}
const differentBytes = (a, b) => { let n = 0; for (let i = 0; i < a.length; i++) n += a[i] !== b[i]; return n; };

for (const [file, vae] of [['diffusion16', 'vae16'], ['diffusion2', 'vae2']]) {
  test(`sample ${file}: the seed fixes the bytes, another seed or a label changes them`, () => {
    const base = ['sample', 'diffusion', '--weights', `weights/${file}.safetensors`, '--n', '8'];
    ok([...base, '--seed', '4', '--out', out('a.bin')]);
    ok([...base, '--seed', '4', '--out', out('b.bin')]);
    ok([...base, '--seed', '5', '--out', out('c.bin')]);
    ok([...base, '--seed', '4', '--label', '3', '--out', out('d.bin')]);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((k) => fs.readFileSync(out(`${k}.bin`)));
    assert.equal(a.length, 8 * 784);
    assert.deepEqual(a, b, 'same seed, same bytes');
    assert.ok(differentBytes(a, c) > 500, 'another seed, other digits');
    assert.ok(differentBytes(a, d) > 500, 'a label changes the digits');
    // The first rows do not depend on --n; --vae given explicitly is the same as the recorded one.
    ok([...base.slice(0, -1), '3', '--seed', '4', '--vae', `weights/${vae}.safetensors`, '--out', out('e.bin')]);
    assert.deepEqual(fs.readFileSync(out('e.bin')), a.subarray(0, 3 * 784));
    const png = ok([...base, '--seed', '4', '--steps', '6', '--sampler', 'euler', '--out', out('grid.png')]);
    assert.match(png.stdout, /euler 6 steps/);
    assert.deepEqual([...fs.readFileSync(out('grid.png')).subarray(1, 4)].map((x) => String.fromCharCode(x)).join(''), 'PNG');
  });
}

test('sample diffusion: bad options and files fail naming the problem', () => {
  const base = ['sample', 'diffusion', '--n', '4', '--out', out('x.bin')];
  fails([...base, '--steps', '0'], /--steps/);
  fails([...base, '--sampler', 'ddim'], /euler or heun/);
  fails([...base, '--label', '12'], /--label/);
  fails([...base, '--guidance', '-1'], /--guidance/);
  fails([...base, '--weights', 'weights/vae16.safetensors'], /"vae" weights file, expected "diffusion"/);
  fails([...base, '--vae', 'weights/vae2.safetensors'], /16-D latents.*2-D latent/);
  fails([...base, '--weights', out('missing.safetensors')], /not found/);
  const bytes = fs.readFileSync(path.join(repo, 'weights/diffusion2.safetensors'));
  fs.writeFileSync(out('cut.safetensors'), bytes.subarray(0, 1000));
  fails([...base, '--weights', out('cut.safetensors')], /cut\.safetensors/);
  fails(['sample', 'diffusion', '--n', '4'], /--out/);
});

test('train diffusion: a short run writes a file that sample, forward and inspect accept', () => {
  const file = out('tiny.safetensors');
  const r = ok(['train', 'diffusion', '--vae', 'weights/vae2.safetensors', '--steps', '40', '--limit', '600',
                '--hidden', '16', '--layers', '1', '--batch', '32', '--out', file]);
  assert.match(r.stdout, /test flow-matching loss/);
  const inspect = ok(['inspect', file]).stdout;
  assert.match(inspect, /trained_with/);
  assert.match(inspect, /vae_sha256/);
  ok(['sample', 'diffusion', '--weights', file, '--n', '4', '--out', out('t.bin')]);
  fs.writeFileSync(out('x.f32'), Buffer.from(new Float32Array([0, 0, 1, -1]).buffer));
  fs.writeFileSync(out('t.f32'), Buffer.from(new Float32Array([0.5, 1]).buffer));
  ok(['forward', 'diffusion', '--weights', file, '--x', out('x.f32'), '--t', out('t.f32'), '--out', out('v.f32')]);
  assert.equal(fs.statSync(out('v.f32')).size, 2 * 2 * 4);
  fails(['train', 'diffusion', '--vae', 'weights/gan.safetensors', '--steps', '1'], /gan/);
  fails(['train', 'diffusion', '--classes', '3', '--steps', '1'], /--classes/);
  fails(['train', 'diffusion', '--time-features', '7', '--steps', '1'], /time_features/);
});

test('train diffusion --time-sampling logit-normal: recorded in the file; bad values fail', () => {
  const file = out('logit.safetensors');
  const base = ['train', 'diffusion', '--vae', 'weights/vae2.safetensors', '--steps', '20', '--limit', '300',
                '--hidden', '8', '--layers', '1', '--batch', '16'];
  ok([...base, '--time-sampling', 'logit-normal', '--logit-mean', '0.25', '--logit-std', '0.75', '--out', file]);
  const inspect = ok(['inspect', file]).stdout;
  assert.match(inspect, /trainer\.time_sampling\W+logit-normal/);
  assert.match(inspect, /trainer\.logit_mean\W+0\.25/);
  assert.match(inspect, /trainer\.logit_std\W+0\.75/);
  ok([...base, '--out', out('uniform.safetensors')]);
  assert.match(ok(['inspect', out('uniform.safetensors')]).stdout, /trainer\.time_sampling\W+uniform/);
  fails([...base, '--time-sampling', 'lognorm', '--out', out('never.safetensors')], /lognorm.*uniform or logit-normal/);
  fails([...base, '--logit-std', '0.5', '--out', out('never.safetensors')], /--time-sampling logit-normal/);
  fails([...base, '--time-sampling', 'logit-normal', '--logit-std', '0', '--out', out('never.safetensors')], /--logit-std/);
  assert.ok(!fs.existsSync(out('never.safetensors')));
});

test('eval diffusion: the table has the diffusion, VAE and GAN rows; guided labels are right', () => {
  const r = ok(['eval', 'diffusion', '--weights', 'weights/diffusion16.safetensors', '--n', '300']);
  for (const row of [/MNIST training images/, /diffusion, unconditional/, /diffusion, labels 0-9, guidance/,
                     /VAE prior/, /gan\.safetensors/, /cgan\.safetensors/])
    assert.match(r.stdout, row);
  const guided = r.stdout.split('\n').find((l) => l.includes('diffusion, labels 0-9'));
  const accuracy = Number(guided.split('|')[5].trim().replace('%', ''));
  assert.ok(accuracy >= 90, `label accuracy of guided samples ${accuracy}%`);
  fails(['eval', 'diffusion', '--n', '300', '--record'], /--record/);
});
