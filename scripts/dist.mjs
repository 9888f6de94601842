// node scripts/dist.mjs SITE_DIR OUT_DIR: the static dist (see scripts/dist.sh).
//   1. copy SITE_DIR to OUT_DIR
//   2. mark index.html for the offline cache (<meta name="genlab-offline" content="sw.js">) and
//      list what the service worker caches on install (offline-files.json: everything but the
//      in-browser training data, which is cached when first used)
//   3. check that no HTML/JS/CSS file points at an absolute path ("/x", which breaks on a host
//      that serves the site from a sub-folder)
//   4. print sizes: raw, gzip -9, brotli (quality 11), per file and in total; --fast-sizes uses
//      gzip -6 and brotli quality 5 (what a CDN compressing on the fly does; the tests use it)
//   5. write those compressed bodies as precompressed siblings FILE.gz and FILE.br (for hosts that
//      serve them: nginx gzip_static/brotli_static, Netlify, static-server.mjs --encoding gzip|br)
//      where they are smaller, and an empty .nojekyll (GitHub Pages then serves every file as is)
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';

const args = process.argv.slice(2);
const fastSizes = args.includes('--fast-sizes');
const [site, out] = args.filter((a) => !a.startsWith('--'));
if (!site || !out) {
  console.error('usage: node scripts/dist.mjs SITE_DIR OUT_DIR');
  process.exit(2);
}
if (!fs.existsSync(path.join(site, 'genlab_app.wasm'))) {
  console.error(`dist: ${site}/genlab_app.wasm is missing; run bash scripts/setup.sh first`);
  process.exit(1);
}

fs.rmSync(out, { recursive: true, force: true });
fs.cpSync(site, out, { recursive: true });

const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
const rel = (f) => path.relative(out, f).split(path.sep).join('/');

// 2. offline cache
const indexPath = path.join(out, 'index.html');
const index = fs.readFileSync(indexPath, 'utf8');
if (!index.includes('name="genlab-offline"')) {
  fs.writeFileSync(indexPath, index.replace('</head>', '  <meta name="genlab-offline" content="sw.js">\n</head>'));
}
const ON_DEMAND = new Set(['data/mnist-train-subset.bin', 'data/corpus-excerpt.txt']);
const cached = walk(out).map(rel)
  .filter((f) => !ON_DEMAND.has(f) && f !== 'sw.js' && f !== '.nojekyll' && f !== 'offline-files.json' && !f.endsWith('.md') && !f.endsWith('.png'))
  .sort();
const version = crypto.createHash('sha256');
for (const f of cached) version.update(f).update(fs.readFileSync(path.join(out, f)));
fs.writeFileSync(path.join(out, 'offline-files.json'),
  JSON.stringify({ version: version.digest('hex').slice(0, 16), files: ['./', ...cached] }, null, 1) + '\n');

// 3. relative paths only
const absolute = [];
for (const f of walk(out).filter((f) => /\.(html|css)$/.test(f) || /(^|\/)(genlab-[a-z]+|embed|sw)\.js$/.test(rel(f)))) {
  const text = fs.readFileSync(f, 'utf8');
  for (const m of text.matchAll(/(?:src|href)\s*=\s*["']\/(?!\/)|url\(\s*["']?\/(?!\/)/g)) absolute.push(`${rel(f)}: ${m[0]}`);
}
if (absolute.length) {
  console.error('dist: absolute paths found (use relative ones):\n  ' + absolute.join('\n  '));
  process.exit(1);
}

// 4. sizes
let precompressed = 0;
const rows = walk(out).map((f) => {
  const bytes = fs.readFileSync(f);
  const gzip = zlib.gzipSync(bytes, { level: fastSizes ? 6 : 9 });
  const brotli = zlib.brotliCompressSync(bytes, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: fastSizes ? 5 : 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  // 5. siblings, only where compression pays (not for PNGs or tiny files)
  for (const [ext, body] of [['.gz', gzip], ['.br', brotli]]) {
    if (body.length < bytes.length * 0.9 && bytes.length > 1024) {
      fs.writeFileSync(f + ext, body);
      precompressed++;
    }
  }
  return { file: rel(f), raw: bytes.length, gzip: gzip.length, brotli: brotli.length };
}).sort((a, b) => b.raw - a.raw);
fs.writeFileSync(path.join(out, '.nojekyll'), '');
const kb = (n) => (n / 1024).toFixed(1).padStart(9);
const line = (name, r) => console.log(`${name.padEnd(36)} ${kb(r.raw)} ${kb(r.gzip)} ${kb(r.brotli)}`);
console.log(`sizes in KiB; gzip level ${fastSizes ? 6 : 9}, brotli quality ${fastSizes ? 5 : 11}`);
console.log(`${'file'.padEnd(36)} ${'raw KiB'.padStart(9)} ${'gzip KiB'.padStart(9)} ${'br KiB'.padStart(9)}`);
for (const r of rows) line(r.file, r);
const sum = (pick) => rows.filter(pick).reduce((a, r) => ({ raw: a.raw + r.raw, gzip: a.gzip + r.gzip, brotli: a.brotli + r.brotli }),
  { raw: 0, gzip: 0, brotli: 0 });
console.log('-'.repeat(66));
line('app (html, js, css, wasm)', sum((r) => /\.(html|js|css|wasm)$/.test(r.file)));
line('weights', sum((r) => r.file.startsWith('weights/')));
line('data', sum((r) => r.file.startsWith('data/')));
line('total', sum(() => true));
console.log(`dist: ${rows.length} files in ${out}/ (offline cache: ${cached.length + 1} entries; ` +
  `${precompressed} precompressed .gz/.br siblings; .nojekyll); ` +
  'serve it with any static file server, e.g. node scripts/static-server.mjs ' + out);
