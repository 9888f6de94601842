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
      window.genlab = {
        ready: () => window.Module._genlab_ready() === 1,
        module: window.Module,
      };
      loaderEl.classList.add('hidden');
    },
    onAbort(what) { fail(String(what)); },
  };

  setStatus('Loading GenLab…');
  const script = document.createElement('script');
  script.src = 'genlab_app.js';
  script.async = true;
  script.onerror = () => fail('could not load genlab_app.js');
  document.body.appendChild(script);
})();
