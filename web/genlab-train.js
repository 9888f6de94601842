// The page side of the training workers: each client (by name: "train" for the Train panel,
// "diffusion" for the Diffusion panel's 2-D model) starts its own web/genlab-train-worker.js,
// forwards its panel's commands and data to it and hands the worker's snapshots and weights back
// to the panel registered under the same name (C++: app::TrainWorkerClient, through
// GenlabBridge.app.train*: web/genlab-bridge.js and src/app/bridge.cpp). Plain postMessage with
// transferred ArrayBuffers: no SharedArrayBuffer, so no COOP/COEP headers on any static host.
// When Worker is missing or a worker fails to start, that panel trains on the page instead.
'use strict';
(function () {
  // To the app through the bridge (web/genlab-bridge.js -> src/app/bridge.cpp).
  const app = () => window.GenlabBridge.app;

  function makeClient(name) {
    let worker = null;
    const stats = { messages: 0, handler_ms: 0, snapshots: 0 };
    const status = (ok, message) => app().trainWorkerStatus(name, ok, message);

    function onMessage(e) {
      const t0 = performance.now();
      const msg = e.data || {};
      try {
        if (msg.type === 'snapshot') {
          stats.snapshots += 1;
          app().trainSnapshot(name, msg.header, msg.floats instanceof Float32Array ? msg.floats : new Float32Array(0));
        } else if (msg.type === 'weights') {
          app().trainWeights(name, { purpose: msg.purpose || '', file: msg.file || '', label: msg.label || '',
                                     error: msg.error || '',
                                     bytes: msg.bytes instanceof Uint8Array ? msg.bytes : new Uint8Array(0) });
        } else if (msg.type === 'reply') {
          app().trainReply(name, msg.reply || '{}');
        } else if (msg.type === 'ready') {
          status(true, '');
        } else if (msg.type === 'failed') {
          status(false, msg.message);
        }
      } catch (err) {
        console.warn(`GenLab training worker "${name}" message: ${err}`);
      }
      stats.messages += 1;
      stats.handler_ms += performance.now() - t0;
    }

    return {
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
  }

  const clients = {};
  // GenLabTrain.client(name): that panel's worker client, made on first use.
  window.GenLabTrain = {
    client(name) {
      const key = String(name);
      if (!Object.prototype.hasOwnProperty.call(clients, key)) clients[key] = makeClient(key);
      return clients[key];
    },
    // Each client's message counts (tests and the bench read them).
    stats() {
      const out = {};
      for (const [key, c] of Object.entries(clients)) out[key] = c.stats;
      return out;
    },
  };
})();
