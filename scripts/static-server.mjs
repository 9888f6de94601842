// A tiny static file server for build/site (scripts/serve.sh) and the e2e tests.
//   node scripts/static-server.mjs DIR [--port 8080] [--host 127.0.0.1]
// Correct MIME types (application/wasm enables streaming compilation), content-length (the
// loader's progress bar), no caching (a rebuilt app is picked up on reload), and no path
// escapes out of DIR.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

// Starts serving `root`; resolves to { server, port, url, close() }. port 0 picks a free port.
// `headers` are added to every file response (the e2e tests serve the app under a strict CSP).
export function startServer({ root, port = 0, host = '127.0.0.1', log = false, headers = {} }) {
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
      res.writeHead(200, {
        'content-type': MIME[path.extname(file).toLowerCase()] || 'application/octet-stream',
        'content-length': stat.size,
        'cache-control': 'no-cache',
        ...headers,
      });
      if (req.method === 'HEAD') { res.end(); return; }
      fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        server,
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
  const root = args[0] || '.';
  const { url } = await startServer({ root, port, host, log: true });
  console.log(`serving ${path.resolve(root)} at ${url} (Ctrl-C to stop)`);
}
