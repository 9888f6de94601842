// A tiny static file server for build/site (scripts/serve.sh) and the e2e tests.
//   node scripts/static-server.mjs DIR [--port 8080] [--host 127.0.0.1] [--encoding MODE]
// Correct MIME types (application/wasm enables streaming compilation), content-length, no
// caching (a rebuilt app is picked up on reload), and no path escapes out of DIR.
// --encoding (default identity) imitates what real static hosts send, for the e2e tests:
//   identity  the file as it is, Content-Length = file size
//   gzip, br  Content-Encoding gzip / br with Content-Length = size of the COMPRESSED body (GitHub
//             Pages, Netlify, nginx gzip_static); a precompressed FILE.gz / FILE.br sibling
//             (scripts/dist.mjs writes them) is sent when present and not older than FILE
//   chunked   Content-Encoding gzip, Transfer-Encoding chunked, no Content-Length (nginx `gzip on`)
// A client that does not accept the encoding (Accept-Encoding) gets the file as it is.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const ENCODINGS = ['identity', 'gzip', 'br', 'chunked'];

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

// Compressed bodies, computed once per file version (path, size, mtime): brotli quality 5 and
// gzip level 6, what CDNs use when compressing on the fly.
const compressedCache = new Map();
function compressedBody(file, stat, coding) {
  for (const [ext, name] of [['.gz', 'gzip'], ['.br', 'br']]) {
    if (name !== coding) continue;
    try {
      const sibling = fs.statSync(file + ext);
      if (sibling.isFile() && sibling.mtimeMs >= stat.mtimeMs) return fs.readFileSync(file + ext);
    } catch { /* no precompressed sibling */ }
  }
  const key = `${coding}:${file}:${stat.size}:${stat.mtimeMs}`;
  let body = compressedCache.get(key);
  if (!body) {
    const bytes = fs.readFileSync(file);
    body = coding === 'br'
      ? zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5,
                                                    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } })
      : zlib.gzipSync(bytes, { level: 6 });
    if (compressedCache.size > 200) compressedCache.clear();
    compressedCache.set(key, body);
  }
  return body;
}

function accepts(req, coding) {
  return String(req.headers['accept-encoding'] || '').split(',')
    .some((part) => part.trim().split(';')[0].trim().toLowerCase() === coding);
}

// Starts serving `root`; resolves to { server, port, url, encoding, close() }. port 0 picks a
// free port. `headers` are added to every file response (the e2e tests serve the app under a
// strict CSP). `encoding`: one of ENCODINGS (see the top of the file).
export function startServer({ root, port = 0, host = '127.0.0.1', log = false, headers = {}, encoding = 'identity' }) {
  if (!ENCODINGS.includes(encoding)) {
    return Promise.reject(new Error(`static-server: --encoding ${encoding}: expected one of ${ENCODINGS.join(', ')}`));
  }
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    let file = path.join(base, pathname);
    if (file !== base && !file.startsWith(base + path.sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    fs.stat(file, (err, stat) => {
      if (!err && stat.isDirectory()) {
        file = path.join(file, 'index.html');
        try { stat = fs.statSync(file); } catch (e) { err = e; }
      }
      if (err || !stat.isFile()) {
        if (log) console.log(`404 ${req.method} ${req.url}`);
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const common = {
        'content-type': MIME[path.extname(file).toLowerCase()] || 'application/octet-stream',
        'cache-control': 'no-cache',
        ...headers,
      };
      const coding = encoding === 'chunked' ? 'gzip' : encoding;
      if (coding === 'identity' || !accepts(req, coding)) {
        res.writeHead(200, { ...common, 'content-length': stat.size, ...(coding === 'identity' ? {} : { vary: 'Accept-Encoding' }) });
        if (req.method === 'HEAD') { res.end(); return; }
        fs.createReadStream(file).pipe(res);
        return;
      }
      let body;
      try {
        body = compressedBody(file, stat, coding);
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot read ${pathname}: ${e.message}`);
        return;
      }
      const framing = encoding === 'chunked' ? { 'transfer-encoding': 'chunked' } : { 'content-length': body.length };
      res.writeHead(200, { ...common, 'content-encoding': coding, vary: 'Accept-Encoding', ...framing });
      if (req.method === 'HEAD') { res.end(); return; }
      if (encoding !== 'chunked') { res.end(body); return; }
      // Several chunks, as a compressing proxy streams them.
      const CHUNK = 64 * 1024;
      for (let at = 0; at < body.length; at += CHUNK) res.write(body.subarray(at, at + CHUNK));
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        server,
        encoding,
        port: actual,
        url: `http://${host}:${actual}/`,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(done); }),
      });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : fallback;
  };
  const port = Number(option('--port', process.env.PORT || 8080));
  const host = option('--host', '127.0.0.1');
  const encoding = option('--encoding', 'identity');
  const root = args[0] || '.';
  try {
    const { url } = await startServer({ root, port, host, log: true, encoding });
    console.log(`serving ${path.resolve(root)} at ${url}${encoding === 'identity' ? '' : ` (${encoding})`} (Ctrl-C to stop)`);
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
}
