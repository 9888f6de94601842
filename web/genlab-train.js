// The page side of the training worker: starts web/genlab-train-worker.js, forwards the Train
// panel's commands and data to it and hands its snapshots and weights back to the app (C++:
// src/app/panel_train.cpp, exported genlab_train_* functions). Plain postMessage with
// transferred ArrayBuffers: no SharedArrayBuffer, so no COOP/COEP headers on any static host.
// When Worker is missing or the worker fails to start, the panel trains on the page instead.
'use strict';
(function () {
  const M = () => window.Module;
  let worker = null;
  const stats = { messages: 0, handler_ms: 0, snapshots: 0 };

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
  function status(ok, message) {
    withStrings([message || ''], (p) => M()._genlab_train_worker_status(ok ? 1 : 0, p));
  }

  function onMessage(e) {
    const t0 = performance.now();
    const msg = e.data || {};
    const m = M();
    try {
      if (msg.type === 'snapshot') {
        stats.snapshots += 1;
        const floats = msg.floats instanceof Float32Array ? msg.floats : new Float32Array(0);
        const p = m._malloc(Math.max(4, floats.length * 4));
        m.HEAPF32.set(floats, p >> 2);
        withStrings([msg.header], (h) => m._genlab_train_on_snapshot(h, p, floats.length));
        m._free(p);
      } else if (msg.type === 'weights') {
        const bytes = msg.bytes instanceof Uint8Array ? msg.bytes : new Uint8Array(0);
        withBytes(bytes, (b) => withStrings([msg.purpose || '', msg.file || '', msg.label || '', msg.error || ''],
          (pu, fi, la, er) => m._genlab_train_on_weights(pu, fi, la, er, b, bytes.length)));
      } else if (msg.type === 'reply') {
        withStrings([msg.reply || '{}'], (r) => m._genlab_train_on_reply(r));
      } else if (msg.type === 'ready') {
        status(true, '');
      } else if (msg.type === 'failed') {
        status(false, msg.message);
      }
    } catch (err) {
      console.warn('GenLab training worker message: ' + err);
    }
    stats.messages += 1;
    stats.handler_ms += performance.now() - t0;
  }

  window.GenLabTrain = {
    stats,
    // Starts the worker; false when this browser has no Web Workers.
    start() {
      if (worker) return true;
      if (typeof Worker !== 'function') return false;
      try {
        worker = new Worker('genlab-train-worker.js');
      } catch (err) {
        worker = null;
        return false;
      }
      worker.onmessage = onMessage;
      worker.onerror = (e) => {
        e.preventDefault?.();
        const message = (e && e.message) || 'the training worker failed to load';
        worker?.terminate();
        worker = null;
        status(false, message);
      };
      return true;
    },
    stop() { worker?.terminate(); worker = null; },
    command(json) { worker?.postMessage({ type: 'command', command: JSON.parse(json) }); },
    data(what, bytes) {
      const copy = bytes.slice();
      worker?.postMessage({ type: 'data', what, bytes: copy }, [copy.buffer]);
    },
    serialise(purpose) { worker?.postMessage({ type: 'serialise', purpose }); },
  };
})();
