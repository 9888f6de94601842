// Fetches weights (weights/<file>) and data files (data/<file>) for the C++ side and hands the
// bytes over through the bridge (src/app/bridge.cpp): genlab_{weights,data}_{progress,loaded,failed}.
//   - streamed fetch; progress counts the bytes that arrive, against the size in the manifest, or
//     Content-Length when the host sends no Content-Encoding (with gzip/br, Content-Length is the
//     compressed size), or without a total;
//   - weights are cached with the Cache API, keyed by URL + sha256 from weights/manifest.json,
//     and verified with crypto.subtle.digest (a mismatch is a failure with a clear message);
//     without a manifest entry a file is fetched uncached and unverified;
//   - 404, truncated bodies and network errors become genlab_*_failed(file, message).
// C++ asks through GenlabWeights.fetchFile(file, kind) (app.cpp, EM_ASM).
(function () {
  'use strict';
  const CACHE_NAME = 'genlab-weights-v1';
  let manifestPromise = null;

  // file -> { sha256: lowercase hex, bytes: raw size or 0 }, {} when manifest.json is missing
  // or unreadable.
  function manifest() {
    if (!manifestPromise) {
      manifestPromise = fetch('weights/manifest.json', { cache: 'no-cache' })
        .then((r) => (r.ok ? r.json() : null))
        .catch(() => null)
        .then((m) => {
          const map = {};
          if (m && Array.isArray(m.files)) {
            for (const f of m.files) {
              if (f && f.file && f.sha256) {
                map[f.file] = { sha256: String(f.sha256).toLowerCase(), bytes: Number(f.bytes) > 0 ? Number(f.bytes) : 0 };
              }
            }
          }
          return map;
        });
    }
    return manifestPromise;
  }

  async function sha256Hex(bytes) {
    if (!(window.crypto && crypto.subtle)) return null;  // not a secure context: cannot verify
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  async function openCache() {
    try { return 'caches' in window ? await caches.open(CACHE_NAME) : null; } catch { return null; }
  }

  // Resolves to the body's bytes; onProgress(received, total) with total 0 when it is unknown.
  // `knownSize` (from the manifest) is the file's raw size, whatever the transfer encoding.
  async function download(url, knownSize, onProgress) {
    let response;
    try {
      response = await fetch(url, { cache: 'no-cache' });
    } catch (err) {
      throw new Error(`${url}: network error (${err.message || err}); check the connection and Retry`);
    }
    if (!response.ok) {
      throw new Error(`${url}: HTTP ${response.status} ${response.statusText || ''}`.trim() +
                      (response.status === 404 ? ' (the file is not on the server; was the site built with bash scripts/setup.sh?)' : ''));
    }
    const coding = (response.headers.get('content-encoding') || 'identity').trim().toLowerCase();
    const total = knownSize || (coding === 'identity' ? Number(response.headers.get('content-length')) || 0 : 0);
    if (!response.body) return new Uint8Array(await response.arrayBuffer());
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        onProgress(received, total);
      }
    } catch (err) {
      throw new Error(`${url}: download interrupted after ${received} of ${total || '?'} bytes (${err.message || err})`);
    }
    if (total && received !== total) {
      throw new Error(`${url}: ${received < total ? 'truncated download' : 'more bytes than expected'}, ` +
                      `got ${received} of ${total} bytes${knownSize ? ' (size from weights/manifest.json)' : ''}`);
    }
    const bytes = new Uint8Array(received);
    let offset = 0;
    for (const c of chunks) { bytes.set(c, offset); offset += c.length; }
    return bytes;
  }

  // To the app through the bridge (web/genlab-bridge.js -> src/app/bridge.cpp).
  const handOver = (kind, file, bytes) => window.GenlabBridge.app.fileLoaded(kind, file, bytes);
  function report(kind, what, file, ...args) {
    if (what === 'progress') window.GenlabBridge.app.fileProgress(kind, file, ...args);
    else window.GenlabBridge.app.fileFailed(kind, file, ...args);
  }

  async function fetchFile(file, kind) {
    kind = kind === 'data' ? 'data' : 'weights';
    const url = `${kind}/${file}`;
    try {
      const entry = kind === 'weights' ? (await manifest())[file] : undefined;
      const expected = entry && entry.sha256;
      const cache = expected ? await openCache() : null;
      const key = expected ? `${new URL(url, location.href).href}?sha256=${expected}` : null;
      if (cache) {
        const hit = await cache.match(key);
        if (hit) {
          const bytes = new Uint8Array(await hit.arrayBuffer());
          if ((await sha256Hex(bytes)) === expected) {
            report(kind, 'progress', file, bytes.length, bytes.length);
            handOver(kind, file, bytes);
            return;
          }
          await cache.delete(key);  // corrupted entry: fetch again
        }
      }
      const bytes = await download(url, entry ? entry.bytes : 0, (received, total) => report(kind, 'progress', file, received, total));
      if (expected) {
        const actual = await sha256Hex(bytes);
        if (actual && actual !== expected) {
          throw new Error(`${url}: sha256 mismatch, weights/manifest.json says ${expected.slice(0, 12)}…, ` +
                          `the downloaded ${bytes.length} bytes hash to ${actual.slice(0, 12)}… ` +
                          '(corrupted or replaced file; re-run `genlab manifest` if it was retrained)');
        }
        if (cache) {
          try { await cache.put(key, new Response(bytes)); } catch (err) { console.warn('cache put failed', err); }
        }
      }
      handOver(kind, file, bytes);
    } catch (err) {
      console.warn(String(err.message || err));
      report(kind, 'failed', file, String(err.message || err));
    }
  }

  async function clearCache() {
    if ('caches' in window) await caches.delete(CACHE_NAME);
  }

  window.GenlabWeights = { fetchFile, clearCache, manifest };
})();
