// The set-up and serving scripts, without touching the machine: deb-src mirroring on sample apt
// configurations (scripts/deb-src-entries.sh), the failing-step report (scripts/setup-step.sh),
// the Node.js check and switch (scripts/node-env.sh), and the static server's transfer modes
// (scripts/static-server.mjs --encoding).
//   node --test tests/scripts/*.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { startServer, ENCODINGS } from '../../scripts/static-server.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmpDir = (name) => fs.mkdtempSync(path.join(os.tmpdir(), `genlab-${name}-`));
const bash = (script, env = {}) => spawnSync('bash', ['-c', script], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...env } });

function aptDir(files) {
  const dir = tmpDir('apt');
  fs.mkdirSync(path.join(dir, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}
const debSrc = (dir) => bash(`bash scripts/deb-src-entries.sh '${dir}' bookworm`);
// The stanzas of a deb822 text as objects (comments dropped).
const stanzas = (text) => text.split(/\n\s*\n/).map((block) => Object.fromEntries(block.split('\n')
  .filter((l) => l && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()])))
  .filter((s) => Object.keys(s).length);

test('deb-src: a netinst/debootstrap classic sources.list is mirrored entry by entry', () => {
  const dir = aptDir({ 'sources.list': [
    '# deb cdrom:[Debian GNU/Linux 12.8.0 _Bookworm_ - Official amd64 NETINST]/ bookworm main',
    'deb http://ftp.fr.debian.org/debian/ bookworm main non-free-firmware',
    'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://security.debian.org/debian-security bookworm-security main',
    'deb http://ftp.fr.debian.org/debian/ bookworm-updates main   # updates',
    'deb https://deb.nodesource.com/node_20.x nodistro main',
    '',
  ].join('\n') });
  const r = debSrc(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(stanzas(r.stdout), [
    { Types: 'deb-src', URIs: 'http://ftp.fr.debian.org/debian/', Suites: 'bookworm', Components: 'main non-free-firmware' },
    { Types: 'deb-src', URIs: 'http://security.debian.org/debian-security', Suites: 'bookworm-security', Components: 'main',
      'Signed-By': '/usr/share/keyrings/debian-archive-keyring.gpg' },
    { Types: 'deb-src', URIs: 'http://ftp.fr.debian.org/debian/', Suites: 'bookworm-updates', Components: 'main' },
  ]);
  assert.doesNotMatch(r.stdout, /deb\.debian\.org|nodesource|Architectures/, 'no guessed mirror, no third-party repo, no binary arch');
});

test('deb-src: deb822 debian.sources (Signed-By, several suites, a disabled stanza) is mirrored', () => {
  const dir = aptDir({});
  fs.writeFileSync(path.join(dir, 'sources.list.d/debian.sources'), [
    'Types: deb', 'URIs: http://mirror.example.org/debian', 'Suites: bookworm bookworm-updates', 'Components: main contrib',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg', '',
    'Types: deb', 'URIs: http://mirror.example.org/debian', 'Suites: bookworm-backports', 'Components: main', 'Enabled: no', '',
    'Types: deb', 'URIs: https://repo.example.com/apt', 'Suites: stable', 'Components: main', '',
  ].join('\n'));
  const r = debSrc(dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(stanzas(r.stdout), [
    { Types: 'deb-src', URIs: 'http://mirror.example.org/debian', Suites: 'bookworm bookworm-updates',
      Components: 'main contrib', 'Signed-By': '/usr/share/keyrings/debian-archive-keyring.gpg' },
  ]);
});

test('deb-src: no deb entry for the release: exit 1, says how to add one, guesses nothing', () => {
  const dir = aptDir({ 'sources.list': '# deb cdrom:[Debian GNU/Linux 12]/ bookworm main\n' });
  const r = debSrc(dir);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /no enabled `deb` entry for bookworm/);
  assert.match(r.stderr, new RegExp(`to ${dir}/sources\\.list`), 'names the file to add it to');
  assert.match(r.stderr, /run apt-get update, and run setup again/);
});

test('setup steps: a failing step prints its name, the command, the log path and its tail', () => {
  const logs = tmpDir('setup-logs');
  const r = bash(`source scripts/setup-step.sh; run_step "fetch sources" sh -c 'echo fetching libsdl2; echo "E: You must put some deb-src URIs in your sources.list" >&2; exit 100'`,
                 { GENLAB_SETUP_LOGS: logs });
  assert.equal(r.status, 100);
  assert.match(r.stdout, /^setup: fetch sources/m);
  assert.match(r.stderr, /setup: step 'fetch sources' FAILED \(exit 100\)/);
  assert.match(r.stderr, /command: sh -c echo fetching libsdl2/);
  assert.match(r.stderr, new RegExp(`log: +${logs}/fetch-sources\\.log`));
  assert.match(r.stderr, /\| E: You must put some deb-src URIs/);
  assert.match(fs.readFileSync(path.join(logs, 'fetch-sources.log'), 'utf8'), /fetching libsdl2/);
  const ok = bash('source scripts/setup-step.sh; run_step "assemble build/site" true && echo after', { GENLAB_SETUP_LOGS: logs });
  assert.equal(ok.status, 0);
  assert.match(ok.stdout, /after/);
  assert.equal(ok.stderr, '');
  assert.ok(fs.existsSync(path.join(logs, 'assemble-build-site.log')), 'a step name with a slash gets a flat log name');
});

// A PATH with a fake `node` printing VERSION (Debian 12's is v18.20.4).
function fakeNode(dir, version) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'node'), `#!/bin/sh\n[ "$1" = --version ] && echo ${version}\n`, { mode: 0o755 });
  return dir;
}

test('node: Debian 12\'s Node 18 is refused with a clear message; a cached supported Node is put first', () => {
  const root = tmpDir('node');
  const old = fakeNode(path.join(root, 'debian-bin'), 'v18.20.4');
  const env = { PATH: `${old}:/usr/bin:/bin`, XDG_CACHE_HOME: path.join(root, 'cache') };
  const refused = bash('source scripts/node-env.sh; genlab_node_check', env);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /found Node\.js v18\.20\.4 at .*debian-bin\/node; GenLab's tests need Node\.js >= 20/);
  assert.match(refused.stderr, /bash scripts\/setup\.sh/);

  const version = fs.readFileSync(path.join(repo, 'scripts/node-env.sh'), 'utf8').match(/^GENLAB_NODE_VERSION=(\S+)/m)[1];
  fakeNode(path.join(root, `cache/genlab/node-v${version}/bin`), `v${version}`);
  const switched = bash('source scripts/node-env.sh; genlab_node_check && command -v node && node --version', env);
  assert.equal(switched.status, 0, switched.stderr);
  assert.match(switched.stdout, new RegExp(`node-v${version.replace(/\./g, '\\.')}/bin/node\\nv${version.replace(/\./g, '\\.')}`));

  const recent = fakeNode(path.join(root, 'recent-bin'), 'v20.19.0');
  const kept = bash('source scripts/node-env.sh; command -v node', { ...env, PATH: `${recent}:/usr/bin:/bin` });
  assert.equal(kept.stdout.trim(), path.join(recent, 'node'), 'a machine Node >= 20 is kept');
});

// A raw GET (no decompression): status, headers, body bytes.
function rawGet(url, acceptEncoding) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('static server: identity, gzip, br (compressed Content-Length) and chunked transfers', async () => {
  const dir = tmpDir('site');
  const text = Array.from({ length: 20000 }, (_, i) => `line ${i} ${i * i % 977}\n`).join('');
  fs.writeFileSync(path.join(dir, 'data.txt'), text);
  fs.writeFileSync(path.join(dir, 'app.wasm'), Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d]), Buffer.alloc(300000, 7)]));
  assert.deepEqual(ENCODINGS, ['identity', 'gzip', 'br', 'chunked']);
  for (const encoding of ENCODINGS) {
    const server = await startServer({ root: dir, encoding });
    try {
      for (const file of ['data.txt', 'app.wasm']) {
        const raw = fs.readFileSync(path.join(dir, file));
        const r = await rawGet(`${server.url}${file}`, 'gzip, deflate, br');
        assert.equal(r.status, 200);
        if (file === 'app.wasm') assert.equal(r.headers['content-type'], 'application/wasm');
        const coding = encoding === 'chunked' ? 'gzip' : encoding;
        if (coding === 'identity') {
          assert.equal(r.headers['content-encoding'], undefined);
          assert.equal(Number(r.headers['content-length']), raw.length);
          assert.deepEqual(r.body, raw);
          continue;
        }
        assert.equal(r.headers['content-encoding'], coding, `${encoding} ${file}`);
        const decoded = coding === 'br' ? zlib.brotliDecompressSync(r.body) : zlib.gunzipSync(r.body);
        assert.deepEqual(decoded, raw, `${encoding} ${file}: the body decompresses to the file`);
        assert.ok(r.body.length < raw.length / 2, `${encoding} ${file}: compressed ${r.body.length} of ${raw.length}`);
        if (encoding === 'chunked') {
          assert.equal(r.headers['content-length'], undefined);
          assert.equal(r.headers['transfer-encoding'], 'chunked');
        } else {
          assert.equal(Number(r.headers['content-length']), r.body.length, 'Content-Length is the compressed size');
        }
        // fetch hands over the decompressed bytes: more than Content-Length says.
        const fetched = Buffer.from(await (await fetch(`${server.url}${file}`)).arrayBuffer());
        assert.deepEqual(fetched, raw);
        // A client that does not accept the encoding gets the file as it is.
        const plain = await rawGet(`${server.url}${file}`, 'identity');
        assert.equal(plain.headers['content-encoding'], undefined);
        assert.deepEqual(plain.body, raw);
      }
    } finally {
      await server.close();
    }
  }
  // A precompressed sibling (dist/) is sent as it is when it is not older than the file.
  const sibling = zlib.gzipSync(Buffer.from(text), { level: 9 });
  fs.writeFileSync(path.join(dir, 'data.txt.gz'), sibling);
  const server = await startServer({ root: dir, encoding: 'gzip' });
  try {
    const r = await rawGet(`${server.url}data.txt`, 'gzip');
    assert.deepEqual(r.body, sibling);
  } finally {
    await server.close();
  }
  await assert.rejects(startServer({ root: dir, encoding: 'zstd' }), /expected one of identity, gzip, br, chunked/);
});
