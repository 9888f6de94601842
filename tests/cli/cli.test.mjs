// The native `genlab` command line, run as a user would: exit codes, messages on bad input,
// determinism of sampling, the files it writes, and training with checkpoint and resume.
//   node --test tests/cli/        (after bash scripts/setup.sh has built build/native/genlab)
// Runs from the repository root so the default weights/, MNIST and corpus paths resolve; every
// file a test writes goes to a temporary directory.
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
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-cli-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const out = (name) => path.join(tmp, name);

// Runs genlab; returns { status, signal, stdout, stderr } with stdout/stderr as strings
// (binary-safe stdout as a Buffer in .raw).
function genlab(args, { timeout = 120_000, env } = {}) {
  const r = spawnSync(genlabBinary, args, { cwd: repo, timeout, env: { ...process.env, ...env } });
  return { status: r.status, signal: r.signal, raw: r.stdout, stdout: r.stdout.toString(),
           stderr: r.stderr.toString(), error: r.error };
}

function ok(args, options) {
  const r = genlab(args, options);
  assert.equal(r.status, 0, `genlab ${args.join(' ')} exited ${r.status} (${r.signal}):\n${r.stderr}`);
  return r;
}

// A command that must fail cleanly: exit 1 (not a signal, not a hang) with `pattern` on stderr.
function fails(args, pattern) {
  const r = genlab(args, { timeout: 60_000 });
  assert.equal(r.signal, null, `genlab ${args.join(' ')} died of ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 1, `genlab ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, pattern, `genlab ${args.join(' ')}`);
  return r;
}

const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'weights/manifest.json'), 'utf8'));

test('usage lists every verb; an unknown command exits 2 with a message', () => {
  const usage = genlab([]);
  for (const verb of ['train', 'sample', 'eval', 'inspect', 'manifest', 'export'])
    assert.match(usage.stdout + usage.stderr, new RegExp(`genlab ${verb}\\b`));
  assert.equal(usage.status, 2, 'no command is a usage error');
  for (const ask of [['help'], ['--help'], ['train', '--help']]) {
    const help = genlab(ask);
    assert.equal(help.status, 0, `genlab ${ask.join(' ')}`);
    assert.match(help.stdout + help.stderr, /usage: genlab VERB/);
  }
  // A command's --help lists that command's options and does nothing else (no training starts,
  // even with other options given).
  const trainHelp = genlab(['train', 'gan', '--help', '--epochs', '30', '--out', out('never-help.safetensors')]);
  assert.equal(trainHelp.status, 0);
  assert.match(trainHelp.stdout, /^usage: genlab train gan \[options\]\n  train the DCGAN on MNIST/);
  assert.match(trainHelp.stdout, /options: --epochs, .*--feature-matching, .*--class-weights/);
  assert.ok(!fs.existsSync(out('never-help.safetensors')));
  assert.match(genlab(['sample', 'rnn', '--help']).stdout, /options: --prime, --temperature, --top-k, --length/);
  assert.match(genlab(['inspect', '--help']).stdout, /usage: genlab inspect \[options\]\n  FILE\.safetensors: /);
  const r = genlab(['frobnicate']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});

test('schema prints the panels\' state schema; --js writes the script the web side loads', () => {
  const schema = JSON.parse(ok(['schema']).stdout);
  assert.deepEqual(schema.order, ['gan', 'morph', 'latent', 'diffusion', 'draw', 'text', 'train']);
  const lr = schema.panels.train.keys.find((k) => k.param === 'lr');
  assert.deepEqual([lr.type, lr.min, lr.max, lr.out_of_range], ['number', 1e-5, 0.1, 'reject']);
  assert.equal(schema.aliases['vae-morph'], 'morph');
  ok(['schema', '--js', '--out', out('genlab-schema.js')]);
  const script = fs.readFileSync(out('genlab-schema.js'), 'utf8');
  const window = {};
  new Function('window', script)(window);
  assert.deepEqual(window.GenlabSchema, schema, 'the script defines the same schema');
  fails(['schema', '--out', path.join(tmp, 'no-such-dir', 'x.js')], /cannot write/);
});

test('schema: each panel declares exactly the control names its source draws (hide= / show= / lock=)', () => {
  const schema = JSON.parse(ok(['schema']).stdout);
  const dir = path.join(repo, 'src/app');
  const seen = {};
  for (const f of fs.readdirSync(dir).filter((n) => /^panel_\w+\.cpp$/.test(n))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const id = /id\(\) const override \{ return "(\w+)"; \}/.exec(text)[1];
    seen[id] = new Set([...text.matchAll(/\bControl \w+\("(\w+)"\)|\bcontrol_(?:hidden|locked)\("(\w+)"\)/g)].map((m) => m[1] || m[2]));
  }
  assert.deepEqual(Object.keys(seen).sort(), [...schema.order].sort(), 'one panel source per declared panel');
  for (const id of schema.order) {
    assert.deepEqual([...seen[id]].sort(), [...schema.panels[id].controls].sort(), `${id}: controls in the source vs the schema`);
  }
});

test('an unknown option names itself and the accepted ones', () => {
  fails(['sample', 'gan', '--bogus', '1', '--out', out('x.png')],
        /unknown option --bogus for 'sample gan' \(accepted: --n, --seed/);
});

// Each value is out of range, not a number, or would overflow an int: a message, never a
// bad_alloc, a wrapped size or a run that never ends.
const badValues = [
  [['sample', 'gan', '--n', '100000000'], /--n must be in 1\.\.100000, got 100000000/],
  [['sample', 'gan', '--n', '0'], /--n must be in 1\.\./],
  [['sample', 'gan', '--cols', '0'], /--cols must be in 1\.\./],
  [['sample', 'gan', '--n', '1e3'], /--n expects an integer, got '1e3'/],
  [['sample', 'cgan', '--label', '10'], /--label must be in -1\.\.9, got 10/],
  [['sample', 'gan', '--label', '3'], /--label needs a class-conditional model/],
  [['sample', 'gan', '--out', 'x.jpg'], /--out must end in \.png, \.pgm, \.bin or \.f32/],
  [['sample', 'rnn', '--length', '-5'], /--length must be in 0\.\.10000000, got -5/],
  [['sample', 'rnn', '--length', '100000000000'], /--length must be in 0\.\./],
  [['sample', 'rnn', '--temperature', '-1'], /--temperature must be in \[0, 100\], got -1/],
  [['sample', 'rnn', '--temperature', 'nan'], /--temperature must be in \[0, 100\], got nan/],
  [['sample', 'rnn', '--top-k', '-3'], /--top-k must be in 0\.\.1000/],
  [['sample', 'vae', '--mode', 'latent-map', '--weights', 'weights/vae2.safetensors', '--n', '5000'],
   /--n must be in 2\.\.200, got 5000/],
  [['sample', 'vae', '--mode', 'latent-map'], /needs a 2-D latent, this VAE has 16/],
  [['sample', 'vae', '--mode', 'sideways'], /--mode sideways: expected samples, reconstructions or latent-map/],
  [['eval', 'gan', '--n', '1'], /--n must be in 6\.\.100000, got 1/],
  [['eval', 'gan', '--n', '500', '--record'], /--record stores the metrics of --n 10000 --seed 1 only/],
  [['train', 'gan', '--lr', 'nan'], /--lr must be in \[0, 10\], got nan/],
  [['train', 'gan', '--batch', '0'], /--batch must be in 1\.\.4096, got 0/],
  [['train', 'gan', '--ema', '1'], /--ema must be in \[0, 1\)/],
  [['train', 'gan', '--pack', '3', '--batch', '64'], /batch/],
  [['train', 'gan', '--epochs', '-1'], /--epochs must be in 0\.\./],
  [['train', 'gan', '--latent-matching-vae', 'weights/vae16.safetensors'], /--latent-matching-vae needs --latent-matching L > 0/],
  [['train', 'gan', '--latent-matching', '1', '--latent-matching-vae', '/nonexistent/vae.safetensors'], /\/nonexistent\/vae\.safetensors/],
  [['train', 'gan', '--class-weights', '1,1,1'], /--class-weights needs 10 weights \(digits 0\.\.9\), got 3/],
  [['train', 'gan', '--class-weights', '1,1,1,1,0,1,1,1,1,1'], /--class-weights must each be in \(0, 100\]/],
  [['train', 'gan', '--class-weights', '1,1,,1,1,1,1,1,1,1'], /--class-weights: .* is not a comma-separated list of numbers/],
  [['train', 'gan', '--class-weights', '1,1,1,1,1,1,1,1,1,nan'], /--class-weights: .* is not a comma-separated list/],
  [['train', 'cgan', '--class-weights', '1,1,1,1,1,1,1,1,1,1'], /--class-weights is for the unconditional gan/],
  [['train', 'gan', '--pack', '2', '--class-weights', '1,1,1,1,1,1,1,1,1,1'], /--class-weights does not work with --pack > 1/],
  [['train', 'vae', '--limit', '70000'], /--limit must be in 0\.\.60000, got 70000/],
  [['train', 'rnn', '--dropout', '1'], /--dropout must be in \[0, 1\)/],
  [['train', 'rnn', '--layers', '0'], /--layers must be in 1\.\.8, got 0/],
  [['train', 'rnn', '--dtype', 'f8'], /--dtype f8: expected f16 or f32/],
  [['train', 'classifier', '--batch', '-64'], /--batch must be in 1\.\./],
  [['train', 'gan', '--resume', '/nonexistent/ckpt'], /\/nonexistent\/ckpt/],
];
test('out-of-range and malformed option values fail with a message naming the option', () => {
  for (const [args, pattern] of badValues) {
    // Training commands get a tiny subset and a scratch output in case validation were missing.
    const scratch = args[0] === 'train' ? ['--out', out('never.safetensors')] : [];
    const sampleOut = args[0] === 'sample' && args[1] !== 'rnn' && !args.includes('--out')
      ? ['--out', out('never.png')] : [];
    fails([...args, ...scratch, ...sampleOut], pattern);
  }
  assert.ok(!fs.existsSync(out('never.safetensors')) && !fs.existsSync(out('never.png')));
});

test('inspect validates every shipped file and prints its manifest sha256', () => {
  const files = manifest.files;
  assert.ok(files.length >= 7, 'manifest lists the shipped weights');
  for (const entry of files) {
    const r = ok(['inspect', path.join('weights', entry.file)]);
    assert.match(r.stdout, new RegExp(`sha256\\s+${entry.sha256}`));
    assert.match(r.stdout, new RegExp(`bytes\\s+${entry.bytes}\\b`));
    assert.match(r.stdout, /tensors \(in file order\):\n\s+\S+\s+F(16|32)\s+\[/);
  }
});

test('inspect rejects malformed files with the validation message and exit 1', () => {
  const good = fs.readFileSync(path.join(repo, 'weights/gan.safetensors'));
  const headerLength = Number(good.readBigUInt64LE(0));
  const cases = {
    'empty.safetensors': [Buffer.alloc(0), /too small|8-byte|empty/i],
    'truncated.safetensors': [good.subarray(0, 1000), /truncated/],
    'huge-header.safetensors': [Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0]),
                                               Buffer.from('{}')]), /header/],
    'not-json.safetensors': [(() => { const b = Buffer.from(good); b.write('!', 8); return b; })(), /JSON|json|header/],
    'short-data.safetensors': [good.subarray(0, 8 + headerLength + 100), /data|bytes|offset|truncated/i],
    'text.safetensors': [Buffer.from('hello, this is not a weights file at all\n'), /header|safetensors/i],
  };
  for (const [name, [bytes, pattern]] of Object.entries(cases)) {
    fs.writeFileSync(out(name), bytes);
    const r = fails(['inspect', out(name)], pattern);
    assert.match(r.stderr, new RegExp(name.replace('.', '\\.')), 'the message names the file');
  }
  fails(['inspect', out('missing.safetensors')], /cannot open/);
  fails(['inspect'], /usage: genlab inspect FILE/);
});

test('sample gan: the same seed writes the same bytes, another seed other digits', () => {
  ok(['sample', 'gan', '--n', '6', '--seed', '3', '--out', out('a.bin')]);
  ok(['sample', 'gan', '--n', '6', '--seed', '3', '--out', out('b.bin')]);
  ok(['sample', 'gan', '--n', '6', '--seed', '4', '--out', out('c.bin')]);
  const a = fs.readFileSync(out('a.bin')), b = fs.readFileSync(out('b.bin'));
  const c = fs.readFileSync(out('c.bin'));
  assert.equal(a.length, 6 * 28 * 28, 'raw uint8 N x 28 x 28');
  assert.ok(a.equals(b));
  assert.ok(!a.equals(c));
  // MNIST convention: mostly 0 background, some near-255 ink in every image.
  for (let i = 0; i < 6; ++i) {
    const img = a.subarray(i * 784, (i + 1) * 784);
    const ink = img.filter((v) => v > 200).length, background = img.filter((v) => v < 30).length;
    assert.ok(ink >= 20 && background >= 400, `image ${i}: ${ink} ink, ${background} background pixels`);
  }
});

test('sample gan writes a PNG grid and a PGM of the requested layout', () => {
  ok(['sample', 'gan', '--n', '12', '--cols', '4', '--seed', '1', '--out', out('grid.png')]);
  const png = fs.readFileSync(out('grid.png'));
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])));
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  // 4 x 3 tiles of 28 px; the padding between tiles is what the grid adds on top.
  assert.ok(width >= 4 * 28 && width < 5 * 28, `width ${width}`);
  assert.ok(height >= 3 * 28 && height < 4 * 28, `height ${height}`);
  ok(['sample', 'gan', '--n', '12', '--cols', '4', '--seed', '1', '--out', out('grid.pgm')]);
  const pgm = fs.readFileSync(out('grid.pgm'));
  assert.match(pgm.toString('latin1', 0, 20), new RegExp(`^P5\\s+${width}\\s+${height}\\s+255\\s`));
});

test('sample cgan --label: deterministic, and the label changes the digits', () => {
  ok(['sample', 'cgan', '--n', '4', '--seed', '2', '--label', '7', '--out', out('seven.bin')]);
  ok(['sample', 'cgan', '--n', '4', '--seed', '2', '--label', '7', '--out', out('seven2.bin')]);
  ok(['sample', 'cgan', '--n', '4', '--seed', '2', '--label', '3', '--out', out('three.bin')]);
  const seven = fs.readFileSync(out('seven.bin'));
  assert.ok(seven.equals(fs.readFileSync(out('seven2.bin'))));
  assert.ok(!seven.equals(fs.readFileSync(out('three.bin'))));
});

test('eval cgan: the shipped cGAN draws the digit it is asked for', () => {
  const r = ok(['eval', 'cgan', '--n', '500']);
  const accuracy = Number(/label accuracy\s+([0-9.]+)/.exec(r.stdout)?.[1]);
  assert.ok(accuracy >= 0.9, `label accuracy ${accuracy}\n${r.stdout}`);
  assert.match(r.stdout, /classifier-FID\s+[0-9.]+\s+\(MNIST floor [0-9.]+\)/);
  assert.match(r.stdout, /class histogram\s+0:/);
  // Precision/recall on the judge's features, each beside the real-image floor (500 vs 500).
  for (const name of ['precision', 'recall']) {
    const m = new RegExp(`${name} \\(k=5\\)\\s+([0-9.]+)\\s+\\(MNIST floor ([0-9.]+)\\)`).exec(r.stdout);
    assert.ok(m, `${name} line\n${r.stdout}`);
    assert.ok(Number(m[1]) > 0.3 && Number(m[1]) <= 1, `${name} ${m[1]}`);
    assert.ok(Number(m[2]) > 0.8 && Number(m[2]) <= 1, `${name} floor ${m[2]}`);
  }
});

test('sample vae: prior samples, reconstructions and the 2-D latent map', () => {
  ok(['sample', 'vae', '--n', '5', '--seed', '1', '--out', out('vae.bin')]);
  assert.equal(fs.statSync(out('vae.bin')).size, 5 * 784);
  ok(['sample', 'vae', '--mode', 'reconstructions', '--n', '7', '--out', out('recon.bin')]);
  assert.equal(fs.statSync(out('recon.bin')).size, 2 * 7 * 784, 'each test digit and its reconstruction');
  ok(['sample', 'vae', '--mode', 'latent-map', '--weights', 'weights/vae2.safetensors', '--n', '6',
      '--out', out('map.bin')]);
  assert.equal(fs.statSync(out('map.bin')).size, 36 * 784);
});

test('sample rnn: deterministic in the seed, continues the prime, survives odd text', () => {
  const run = (seed, prime = 'The hacker ') =>
    ok(['sample', 'rnn', '--prime', prime, '--length', '80', '--seed', String(seed)]).stdout;
  const a = run(1), b = run(1), c = run(2);
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.ok(a.startsWith('The hacker '));
  assert.ok(a.length >= 'The hacker '.length + 80, a);
  // Greedy decoding ignores the seed.
  const greedy = (seed) => ok(['sample', 'rnn', '--prime', 'the ', '--temperature', '0', '--length', '40',
                               '--seed', String(seed)]).stdout;
  assert.equal(greedy(1), greedy(99));
  // Characters outside the vocabulary (accents, emoji, control bytes, tabs) are mapped, not fatal.
  for (const prime of ['Café naïve — “quoted” 🙂', '\x01\x02\t~', ''])
    ok(['sample', 'rnn', '--prime', prime, '--length', '30', '--seed', '1']);
  ok(['sample', 'rnn', '--weights', 'weights/char_gru.safetensors', '--length', '30']);
});

test('train gan: checkpoint + resume ends where an uninterrupted run does', () => {
  // With every G-step option on, so resume has to restore them (the VAE encoder of latent
  // matching is not in the checkpoint: the resumed run loads it again).
  const common = ['--limit', '512', '--batch', '32', '--classifier', out('no-judge'), '--ema', '0.9',
                  '--feature-matching', '0.2', '--latent-matching', '2',
                  '--class-weights', '0.7,1,1,1.25,1,1,1,1,1,1'];
  ok(['train', 'gan', '--steps', '24', ...common, '--out', out('straight.safetensors')]);
  ok(['train', 'gan', '--steps', '10', ...common, '--checkpoint', out('gan.ckpt'),
      '--out', out('first-leg.safetensors')]);
  const resumed = ok(['train', 'gan', '--resume', out('gan.ckpt'), '--steps', '24', '--limit', '512',
                      '--classifier', out('no-judge'), '--out', out('resumed.safetensors')]);
  assert.match(resumed.stderr, /resumed from .*gan\.ckpt at step 10/);
  assert.match(resumed.stderr, /24\/24 steps took/);
  // The resumed file records the whole chain: the first leg's command, then the resume.
  const history = /trained_with = (.*)/.exec(ok(['inspect', out('resumed.safetensors')]).stdout)?.[1];
  assert.match(history, /^genlab train gan .*--checkpoint \S*gan\.ckpt.* && genlab train gan .*--resume \S*gan\.ckpt/);
  assert.match(ok(['inspect', out('resumed.safetensors')]).stdout, /class_weights = 0\.7,1,1,1\.25,1,1,1,1,1,1\n/);
  for (const name of ['straight', 'resumed'])
    ok(['sample', 'gan', '--weights', out(`${name}.safetensors`), '--n', '8', '--seed', '5',
        '--out', out(`${name}.bin`)]);
  assert.ok(fs.readFileSync(out('straight.bin')).equals(fs.readFileSync(out('resumed.bin'))));
  // The first leg alone is a different generator.
  ok(['sample', 'gan', '--weights', out('first-leg.safetensors'), '--n', '8', '--seed', '5',
      '--out', out('first-leg.bin')]);
  assert.ok(!fs.readFileSync(out('first-leg.bin')).equals(fs.readFileSync(out('straight.bin'))));
  // A checkpoint of a GAN is not a cGAN's.
  fails(['train', 'cgan', '--resume', out('gan.ckpt'), '--out', out('never.safetensors')],
        /is a checkpoint of a gan, not of a cgan/);
});

test('train classifier, vae and rnn write files that inspect and sample accept', () => {
  ok(['train', 'classifier', '--epochs', '1', '--limit', '256', '--out', out('clf.safetensors')]);
  ok(['inspect', out('clf.safetensors')]);
  ok(['train', 'vae', '--epochs', '1', '--limit', '256', '--latent', '3', '--hidden', '32',
      '--out', out('vae3.safetensors')]);
  assert.match(ok(['inspect', out('vae3.safetensors')]).stdout, /latent = 3/);
  ok(['sample', 'vae', '--weights', out('vae3.safetensors'), '--n', '4', '--out', out('vae3.bin')]);
  assert.equal(fs.statSync(out('vae3.bin')).size, 4 * 784);
  ok(['train', 'rnn', '--cell', 'gru', '--epochs', '0.02', '--hidden', '24', '--embed', '8',
      '--no-baseline', '--out', out('gru.safetensors')]);
  assert.match(ok(['inspect', out('gru.safetensors')]).stdout, /cell = gru/);
  const text = ok(['sample', 'rnn', '--weights', out('gru.safetensors'), '--prime', 'a', '--length', '20'])
    .stdout;
  assert.ok(text.length >= 21, text);
});
