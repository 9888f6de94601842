// Loads build output genlab_app.js/.wasm: shows status and a download progress bar (the bytes
// that arrive are counted; the total is known only when the host sends no Content-Encoding),
// compiles while downloading, then exposes `window.genlab` once the runtime is up: the test and
// embedding API over the bridge (web/genlab-bridge.js <-> src/app/bridge.cpp).
(function () {
  'use strict';
  const statusEl = document.getElementById('status');
  const progressEl = document.getElementById('progress');
  const loaderEl = document.getElementById('loader');

  function setStatus(text, fraction) {
    statusEl.textContent = text;
    if (fraction === undefined) progressEl.removeAttribute('value');
    else progressEl.value = fraction;
  }

  function fail(what) {
    loaderEl.classList.remove('hidden');
    loaderEl.classList.add('error');
    setStatus('GenLab failed to start: ' + what + ' (see the browser console).', 0);
  }

  const MB = (n) => (n / 1048576).toFixed(1);

  // The size to expect for the progress bar: Content-Length counts the bytes on the wire, which
  // are the file's bytes only without a Content-Encoding (gzip/br hosts send the compressed size,
  // while fetch hands over the decompressed bytes). 0 = unknown.
  function expectedSize(response) {
    const coding = (response.headers.get('content-encoding') || 'identity').trim().toLowerCase();
    return coding === 'identity' ? Number(response.headers.get('content-length')) || 0 : 0;
  }

  function showDownload(label, received, total) {
    if (total) setStatus('Downloading ' + label + ': ' + MB(received) + ' / ' + MB(total) + ' MB', Math.min(received / total, 1));
    else setStatus('Downloading ' + label + ': ' + MB(received) + ' MB');
  }

  // The response's body passed through unchanged, counting the bytes that arrive.
  function countedBody(response, label) {
    const total = expectedSize(response);
    let received = 0;
    showDownload(label, 0, total);
    return response.body.pipeThrough(new TransformStream({
      transform(chunk, controller) {
        received += chunk.length;
        showDownload(label, received, total);
        controller.enqueue(chunk);
      },
    }));
  }

  async function fetchOk(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(url + ': HTTP ' + response.status);
    return response;
  }

  // Compiles while downloading (instantiateStreaming) when the host sends application/wasm;
  // otherwise downloads, then compiles, and says why it is slower.
  async function instantiateApp(url, imports) {
    const response = await fetchOk(url);
    const type = (response.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
    if (type === 'application/wasm' && WebAssembly.instantiateStreaming && response.body) {
      const counted = new Response(countedBody(response, 'GenLab'), { headers: { 'content-type': 'application/wasm' } });
      return WebAssembly.instantiateStreaming(counted, imports);
    }
    console.warn('GenLab: ' + url + ' is served as "' + (type || 'no content-type') + '", not application/wasm, ' +
                 'so it is compiled after the download instead of during it (slower start). ' +
                 'Configure the web server to send .wasm files as application/wasm.');
    const bytes = response.body ? new Uint8Array(await new Response(countedBody(response, 'GenLab')).arrayBuffer())
                                : new Uint8Array(await response.arrayBuffer());
    setStatus('Compiling… (' + url + ' is not served as application/wasm: slower start)');
    return WebAssembly.instantiate(bytes, imports);
  }

  // The UI fonts (scripts/fonts.sh puts them in fonts/), fetched alongside the wasm; the module
  // starts once both are here and copies them in (src/app/fonts.cpp). A font that fails leaves
  // a message instead of bytes: the app then uses ImGui's built-in font and says why.
  const FONT_FILES = { ui: 'fonts/inter-ui.otf', mono: 'fonts/dejavu-sans-mono.ttf' };
  const FONT_TIMEOUT_MS = 15000;  // a stalled font must not hold the app back
  window.GenlabFonts = {};
  function fetchFonts() {
    return Promise.all(Object.entries(FONT_FILES).map(([name, url]) => {
      const timeout = new Promise((resolve, reject) =>
        setTimeout(() => reject(new Error('no answer in ' + FONT_TIMEOUT_MS / 1000 + ' s')), FONT_TIMEOUT_MS));
      const bytes = fetchOk(url).then((response) => response.arrayBuffer());
      return Promise.race([bytes, timeout]).then(
        (buffer) => { window.GenlabFonts[name] = new Uint8Array(buffer); },
        (err) => { window.GenlabFonts[name] = url + ': ' + String(err.message || err); });
    }));
  }
  const fontsFetched = fetchFonts();

  window.Module = {
    canvas: document.getElementById('canvas'),
    print: (text) => console.log(text),
    printErr: (text) => console.warn(text),
    // Download the wasm ourselves to show progress, then hand it to emscripten.
    instantiateWasm(imports, successCallback) {
      Promise.all([instantiateApp('genlab_app.wasm', imports), fontsFetched])
        .then(([result]) => successCallback(result.instance, result.module))
        .catch((err) => { console.error(err); fail(String(err.message || err)); });
      return {};  // exports arrive asynchronously through successCallback
    },
    onRuntimeInitialized() {
      const M = window.Module;
      const app = window.GenlabBridge.app;  // every call into C++ goes through web/genlab-bridge.js
      window.genlab = {
        // True once the first frame is drawn and the URL state (genlab-url.js) is applied.
        ready: () => app.ready() && (!window.GenlabUrl || window.GenlabUrl.applied),
        // {"panel": id, "panels": [...], "weights": {...}, "state": {...active panel...}}
        state: app.state,
        // Switches panel with {"panel": "gan"}; other fields go to the active panel.
        set: app.set,
        query: app.query,
        // GAN pixels for a seed: Uint8Array of n*784 (0 = background, 255 = ink), or null while
        // the weights load.
        samplePixels: ({ n = 16, seed = 1, conditional = false, digit = -1 } = {}) => {
          const previous = app.state().panel;
          app.set({ panel: 'gan', n, seed, conditional, class: digit });
          try {
            const out = app.query('gan', { op: 'pixels' });
            return Uint8Array.from(out.pixels);
          } catch (err) {
            return null;
          } finally {
            if (previous && previous !== 'gan') app.set({ panel: previous });
          }
        },
        clearWeightsCache: () => window.GenlabWeights.clearCache(),
        // Lesson flags and page messages ({} reads them): view, hide, show, lock, theme, notes, offline.
        ui: app.ui,
        // What "Copy link" / "Copy embed code" copy: {link, embed, embedScript}.
        shareLinks: () => window.GenlabUrl.links(),
        module: M,
      };
      loaderEl.classList.add('hidden');
      // Apply the URL once the first frame exists (ImGui is up), then follow the state.
      const startUrlState = () => {
        if (!app.ready()) { requestAnimationFrame(startUrlState); return; }
        if (window.GenlabUrl) window.GenlabUrl.start();
        registerOfflineCache();
      };
      startUrlState();
    },
    onAbort(what) { fail(String(what)); },
  };

  // Offline after the first visit: the static dist (scripts/dist.sh) marks index.html with
  // <meta name="genlab-offline" content="sw.js">; the service worker caches the app shell and
  // weights. The dev server (build/site) has no mark, so nothing is cached behind a developer.
  function registerOfflineCache() {
    const mark = document.querySelector('meta[name="genlab-offline"]');
    if (!mark || !('serviceWorker' in navigator)) return;
    const say = (text) => { try { window.genlab.ui({ offline: text }); } catch { /* ignore */ } };
    navigator.serviceWorker.register(mark.content)
      .then(() => navigator.serviceWorker.ready)
      .then(() => say('available offline'))
      .catch((err) => { console.warn('GenLab: no offline cache:', err.message || err); });
  }

  // The canvas has its own right-click behaviour (no browser menu); set here, not inline, so the
  // page runs under a Content-Security-Policy without 'unsafe-inline'.
  const canvas = document.getElementById('canvas');
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  // Tab belongs to the browser: SDL would swallow it (it prevents the default of every Tab on
  // the window), so nobody could Tab into the canvas, or out of it again. Stopped here, in the
  // capture phase before SDL's window listener; inside the app the arrow keys navigate.
  const keepTabForBrowser = (e) => { if (e.key === 'Tab') e.stopImmediatePropagation(); };
  window.addEventListener('keydown', keepTabForBrowser, true);
  window.addEventListener('keyup', keepTabForBrowser, true);
  // SDL prevents the default of mousedown, which is what would focus the canvas on a click.
  canvas.addEventListener('pointerdown', () => { if (document.activeElement !== canvas) canvas.focus({ preventScroll: true }); });

  setStatus('Loading GenLab…');
  const script = document.createElement('script');
  script.src = 'genlab_app.js';
  script.async = true;
  script.onerror = () => fail('could not load genlab_app.js');
  document.body.appendChild(script);
})();
