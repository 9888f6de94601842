// The page side of the training worker: starts web/genlab-train-worker.js, forwards the Train
// panel's commands and data to it and hands its snapshots and weights back to the app (C++:
// src/app/panel_train.cpp, through GenlabBridge.app.train*: web/genlab-bridge.js and
// src/app/bridge.cpp). Plain postMessage with
// transferred ArrayBuffers: no SharedArrayBuffer, so no COOP/COEP headers on any static host.
// When Worker is missing or the worker fails to start, the panel trains on the page instead.
'use strict';
(function () {
  let worker = null;
  const stats = { messages: 0, handler_ms: 0, snapshots: 0 };

  // To the app through the bridge (web/genlab-bridge.js -> src/app/bridge.cpp).
  const app = () => window.GenlabBridge.app;
  const status = (ok, message) => app().trainWorkerStatus(ok, message);

  function onMessage(e) {
    const t0 = performance.now();
    const msg = e.data || {};
    try {
      if (msg.type === 'snapshot') {
        stats.snapshots += 1;
        app().trainSnapshot(msg.header, msg.floats instanceof Float32Array ? msg.floats : new Float32Array(0));
      } else if (msg.type === 'weights') {
        app().trainWeights({ purpose: msg.purpose || '', file: msg.file || '', label: msg.label || '', error: msg.error || '',
                             bytes: msg.bytes instanceof Uint8Array ? msg.bytes : new Uint8Array(0) });
      } else if (msg.type === 'reply') {
        app().trainReply(msg.reply || '{}');
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
