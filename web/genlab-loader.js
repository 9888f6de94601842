// Loads build output genlab_app.js/.wasm: shows status and a download progress bar (streamed
// fetch, driven by content-length), then exposes the JS door `window.genlab` once the runtime
// is up. The C++ side's only exports are its EMSCRIPTEN_KEEPALIVE functions.
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

  // Fetches a URL, reporting progress; resolves to its bytes.
  async function fetchWithProgress(url, label) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(url + ': HTTP ' + response.status);
    const total = Number(response.headers.get('content-length')) || 0;
    if (!response.body || !total) {
      setStatus('Downloading ' + label + '…');
      return new Uint8Array(await response.arrayBuffer());
    }
    const reader = response.body.getReader();
    const bytes = new Uint8Array(total);
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (received + value.length > total) throw new Error(url + ': more bytes than content-length');
      bytes.set(value, received);
      received += value.length;
      setStatus('Downloading ' + label + ': ' + (received / 1048576).toFixed(1) + ' / ' +
                (total / 1048576).toFixed(1) + ' MB', received / total);
    }
    return bytes.subarray(0, received);
  }

  window.Module = {
    canvas: document.getElementById('canvas'),
    print: (text) => console.log(text),
    printErr: (text) => console.warn(text),
    // Download the wasm ourselves to show progress, then hand it to emscripten.
    instantiateWasm(imports, successCallback) {
      fetchWithProgress('genlab_app.wasm', 'GenLab')
        .then((bytes) => {
          setStatus('Compiling…');
          return WebAssembly.instantiate(bytes, imports);
        })
        .then((result) => successCallback(result.instance, result.module))
        .catch((err) => { console.error(err); fail(String(err.message || err)); });
      return {};  // exports arrive asynchronously through successCallback
    },
    onRuntimeInitialized() {
      const M = window.Module;
      const call = (name, types, args) => {
        const out = JSON.parse(M.ccall(name, 'string', types, args));
        if (out && out.error) throw new Error(out.error);
        return out;
      };
      window.genlab = {
        // True once the first frame is drawn and the URL state (genlab-url.js) is applied.
        ready: () => M._genlab_ready() === 1 && (!window.GenlabUrl || window.GenlabUrl.applied),
        // {"panel": id, "panels": [...], "weights": {...}, "state": {...active panel...}}
        state: () => call('genlab_state', [], []),
        // Switches panel with {"panel": "gan"}; other fields go to the active panel.
        set: (obj) => call('genlab_set', ['string'], [JSON.stringify(obj || {})]),
        query: (panel, obj) => call('genlab_query', ['string', 'string'], [panel, JSON.stringify(obj || {})]),
        // GAN pixels for a seed: Uint8Array of n*784 (0 = background, 255 = ink), or null while
        // the weights load.
        samplePixels: ({ n = 16, seed = 1, conditional = false, digit = -1 } = {}) => {
          const previous = window.genlab.state().panel;
          call('genlab_set', ['string'], [JSON.stringify({ panel: 'gan', n, seed, conditional, class: digit })]);
          try {
            const out = window.genlab.query('gan', { op: 'pixels' });
            return Uint8Array.from(out.pixels);
          } catch (err) {
            return null;
          } finally {
            if (previous && previous !== 'gan') call('genlab_set', ['string'], [JSON.stringify({ panel: previous })]);
          }
        },
        clearWeightsCache: () => window.GenlabWeights.clearCache(),
        // Lesson flags and page messages ({} reads them): view, hide, show, lock, theme, notes, offline.
        ui: (obj) => call('genlab_ui', ['string'], [JSON.stringify(obj || {})]),
        // What "Copy link" / "Copy embed code" copy: {link, embed, embedScript}.
        shareLinks: () => window.GenlabUrl.links(),
        module: M,
      };
      loaderEl.classList.add('hidden');
      // Apply the URL once the first frame exists (ImGui is up), then follow the state.
      const startUrlState = () => {
        if (M._genlab_ready() !== 1) { requestAnimationFrame(startUrlState); return; }
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
  document.getElementById('canvas').addEventListener('contextmenu', (e) => e.preventDefault());

  setStatus('Loading GenLab…');
  const script = document.createElement('script');
  script.src = 'genlab_app.js';
  script.async = true;
  script.onerror = () => fail('could not load genlab_app.js');
  document.body.appendChild(script);
})();
