// Offline cache of the static dist (registered by genlab-loader.js only when index.html carries
// <meta name="genlab-offline">, which scripts/dist.sh adds). On install it caches every file
// listed in offline-files.json (app shell, wasm, weights, test digits, embed.js, examples);
// afterwards every same-origin GET goes to the network first (a redeploy is picked up at once)
// and falls back to the cache when the network fails, and successful answers refresh the cache.
'use strict';
const CACHE_PREFIX = 'genlab-offline-';

async function fileList() {
  const response = await fetch('offline-files.json', { cache: 'no-cache' });
  if (!response.ok) throw new Error(`offline-files.json: HTTP ${response.status}`);
  return response.json();  // {version, files: [...]}
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const list = await fileList();
    const cache = await caches.open(CACHE_PREFIX + list.version);
    await cache.addAll(list.files.map((f) => new Request(f, { cache: 'no-cache' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const list = await fileList().catch(() => null);
    if (list) {
      for (const name of await caches.keys()) {
        if (name.startsWith(CACHE_PREFIX) && name !== CACHE_PREFIX + list.version) await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

async function currentCache() {
  const names = (await caches.keys()).filter((n) => n.startsWith(CACHE_PREFIX));
  return caches.open(names.length ? names[names.length - 1] : CACHE_PREFIX + 'runtime');
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    try {
      const response = await fetch(request);
      if (response.ok && response.type === 'basic') {
        const copy = response.clone();
        currentCache().then((cache) => cache.put(request, copy)).catch(() => {});
      }
      return response;
    } catch (err) {
      const cached = await caches.match(request, { ignoreSearch: true });
      if (cached) return cached;
      // A folder URL ("./") is index.html.
      if (request.mode === 'navigate') {
        const index = await caches.match(new URL('index.html', self.registration.scope).href);
        if (index) return index;
      }
      throw err;
    }
  })());
});
