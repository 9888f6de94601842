// The page's side of the one door between JS and the app's C++ (src/app/bridge.cpp). Every call
// between the page and the app module goes through here:
//
//   GenlabBridge.app.*    JS -> C++: the module's exported genlab_* functions. Strings and bytes
//                         are copied into the wasm heap for the call and freed after it; JSON
//                         answers with an "error" field throw an Error with that message.
//   GenlabBridge.page.*   C++ -> JS: what bridge.cpp's one EM_JS function (genlab_page_call)
//                         calls, as page[name](...args, bytes): downloads, the file chooser, the
//                         clipboard, and the weights fetcher, URL code and training worker
//                         (web/genlab-weights.js, genlab-url.js, genlab-train.js). `bytes` is a
//                         view into the wasm heap, valid during the call only: copy to keep it.
//
// The training worker's own module (genlab-train-worker.js <-> src/worker/worker_main.cpp) has
// its own small door inside the worker.
(function () {
  'use strict';
  const M = () => window.Module;

  // ---- JS -> C++ ----------------------------------------------------------------------------
  function withStrings(strings, fn) {
    const m = M();
    const ptrs = strings.map((s) => {
      const n = m.lengthBytesUTF8(s) + 1;
      const p = m._malloc(n);
      m.stringToUTF8(s, p, n);
      return p;
    });
    try { return fn(...ptrs); } finally { ptrs.forEach((p) => m._free(p)); }
  }
  function withBytes(bytes, fn) {
    const m = M();
    const p = m._malloc(Math.max(1, bytes.length));
    m.HEAPU8.set(bytes, p);
    try { return fn(p); } finally { m._free(p); }
  }
  function withFloats(floats, fn) {
    const m = M();
    const p = m._malloc(Math.max(4, floats.length * 4));
    m.HEAPF32.set(floats, p >> 2);
    try { return fn(p); } finally { m._free(p); }
  }
  // A genlab_* function taking strings and returning a JSON string.
  function jsonCall(name, ...strings) {
    const out = JSON.parse(withStrings(strings, (...ptrs) => M().UTF8ToString(M()['_' + name](...ptrs))));
    if (out && out.error) throw new Error(out.error);
    return out;
  }
  const kindOf = (kind) => (kind === 'data' ? 'data' : 'weights');

  const app = {
    // True once the first frame is drawn.
    ready: () => M()._genlab_ready() === 1,
    // {"panel", "panels", "weights", "timing", "state"}; set() switches panel with {"panel"}.
    state: () => jsonCall('genlab_state'),
    set: (obj) => jsonCall('genlab_set', JSON.stringify(obj || {})),
    query: (panel, obj) => jsonCall('genlab_query', String(panel), JSON.stringify(obj || {})),
    // Lesson flags and page messages ({} reads them).
    ui: (obj) => jsonCall('genlab_ui', JSON.stringify(obj || {})),
    // The panels' state schema (the same as genlab-schema.js).
    schema: () => jsonCall('genlab_schema'),
    // Weights (kind "weights") and data files (kind "data") fetched by genlab-weights.js.
    fileProgress(kind, file, received, total) {
      withStrings([file], (f) => M()[`_genlab_${kindOf(kind)}_progress`](f, received, total));
    },
    fileLoaded(kind, file, bytes) {
      withBytes(bytes, (b) => withStrings([file], (f) => M()[`_genlab_${kindOf(kind)}_loaded`](f, b, bytes.length)));
    },
    fileFailed(kind, file, message) {
      withStrings([file, String(message)], (f, m) => M()[`_genlab_${kindOf(kind)}_failed`](f, m));
    },
    // The Train panel: an uploaded file, and the training worker's messages (genlab-train.js).
    trainUpload(bytes, name) {
      withBytes(bytes, (b) => withStrings([name], (n) => M()._genlab_train_upload(b, bytes.length, n)));
    },
    // Messages of the training worker client `client` (genlab-train.js) to the panel of that name.
    trainWorkerStatus(client, ok, message) {
      withStrings([client, message || ''], (c, p) => M()._genlab_train_worker_status(c, ok ? 1 : 0, p));
    },
    trainSnapshot(client, header, floats) {
      withFloats(floats, (p) => withStrings([client, header], (c, h) => M()._genlab_train_on_snapshot(c, h, p, floats.length)));
    },
    trainWeights(client, { purpose = '', file = '', label = '', error = '', bytes }) {
      withBytes(bytes, (b) => withStrings([client, purpose, file, label, error],
        (c, pu, fi, la, er) => M()._genlab_train_on_weights(c, pu, fi, la, er, b, bytes.length)));
    },
    trainReply(client, reply) {
      withStrings([client, reply || '{}'], (c, r) => M()._genlab_train_on_reply(c, r));
    },
    // The answer to page.font(name): the bytes, or why there are none.
    fontLoaded(name, bytes) {
      withBytes(bytes, (b) => withStrings([name], (n) => M()._genlab_font_loaded(n, b, bytes.length)));
    },
    fontFailed(name, message) {
      withStrings([name, String(message)], (n, m) => M()._genlab_font_failed(n, m));
    },
  };

  // ---- C++ -> JS -----------------------------------------------------------------------------
  // Each returns a truthy value on success; genlab_page_call logs what throws.
  const page = {
    // genlab-weights.js: fetch weights/<file> or data/<file>, then app.file*().
    fetchFile(file, kind) { return window.GenlabWeights.fetchFile(file, kind); },
    clearWeightsCache() { return window.GenlabWeights.clearCache(); },
    // genlab-url.js: the app's Copy link / Copy embed code / Lesson / Open in GenLab buttons.
    share(what) { return window.GenlabUrl.share(what); },
    // SDL's clipboard stays inside the page; navigator.clipboard needs a secure context and a
    // user gesture, and a refusal is ignored (the text is on ImGui's clipboard as well).
    copyText(text) {
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).catch(() => {});
      return true;
    },
    // Saves bytes as a file through a Blob URL and a temporary <a download>.
    download(name, bytes) {
      const url = URL.createObjectURL(new Blob([bytes.slice()], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      return true;
    },
    // Opens a file chooser; the chosen file's bytes go to the Train panel (app.trainUpload).
    openUpload(accept) {
      const input = document.createElement('input');
      input.type = 'file';
      input.accept = accept;
      input.style.display = 'none';
      input.addEventListener('change', () => {
        const file = input.files && input.files[0];
        input.remove();
        if (!file) return;
        file.arrayBuffer().then((buffer) => app.trainUpload(new Uint8Array(buffer), file.name))
          .catch((e) => console.warn(`GenLab: could not read ${file.name}: ${e}`));
      });
      document.body.appendChild(input);
      input.click();
      return true;
    },
    // genlab-train.js: the training worker of `client` ("train", "diffusion"). trainStart is
    // false when the page has no workers.
    trainStart(client) { return !!(window.GenLabTrain && window.GenLabTrain.client(client).start()); },
    trainStop(client) { if (window.GenLabTrain) window.GenLabTrain.client(client).stop(); return true; },
    trainCommand(client, json) { window.GenLabTrain.client(client).command(json); return true; },
    trainData(client, what, bytes) { window.GenLabTrain.client(client).data(what, bytes); return true; },
    trainSerialise(client, purpose) { window.GenLabTrain.client(client).serialise(purpose); return true; },
    // The screen readers' live region (index.html #genlab-live): the visible panel in words.
    announce(text) {
      const region = document.getElementById('genlab-live');
      if (region) region.textContent = text;
      return !!region;
    },
    // The UI fonts genlab-loader.js fetched before the module started (window.GenlabFonts[name]:
    // the bytes, or a message saying why not), handed over during this call.
    font(name) {
      const font = (window.GenlabFonts || {})[name];
      if (font instanceof Uint8Array) app.fontLoaded(name, font);
      else app.fontFailed(name, typeof font === 'string' ? font : `the page fetched no "${name}" font`);
      return true;
    },
  };

  window.GenlabBridge = { app, page };
})();
