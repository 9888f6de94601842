// GenLab's training worker (a dedicated Web Worker, started by genlab-train.js): loads the
// training module genlab_train_worker.js/.wasm (src/worker/worker_main.cpp) and trains in
// slices of kSliceMs between messages, so commands from the page are handled within a slice.
// Messages in:  {type: 'command', command}, {type: 'data', what: 'mnist'|'text', bytes},
//               {type: 'serialise', purpose}
// Messages out: {type: 'ready'}, {type: 'failed', message}, {type: 'reply', reply},
//               {type: 'snapshot', header, floats} (floats: a transferred Float32Array),
//               {type: 'weights', purpose, file, label, bytes} or {type: 'weights', purpose, error}
'use strict';
const kSliceMs = 30;
let M = null;
const queue = [];

function fail(message) { postMessage({ type: 'failed', message: String(message) }); }

function withString(text, fn) {
  const n = M.lengthBytesUTF8(text) + 1;
  const ptr = M._malloc(n);
  M.stringToUTF8(text, ptr, n);
  try { return fn(ptr); } finally { M._free(ptr); }
}

function sendSnapshot(force) {
  const header = M.UTF8ToString(M._genlab_worker_snapshot(force ? 1 : 0));
  if (!header) return;
  const ptr = M._genlab_worker_floats() >> 2, n = M._genlab_worker_float_count();
  const floats = M.HEAPF32.slice(ptr, ptr + n);
  postMessage({ type: 'snapshot', header, floats }, [floats.buffer]);
}

function handle(msg) {
  if (msg.type === 'command') {
    const reply = withString(JSON.stringify(msg.command), (p) => M.UTF8ToString(M._genlab_worker_command(p)));
    postMessage({ type: 'reply', reply });
    sendSnapshot(true);
  } else if (msg.type === 'data') {
    const bytes = msg.bytes instanceof Uint8Array ? msg.bytes : new Uint8Array(msg.bytes || 0);
    const ptr = M._malloc(Math.max(1, bytes.length));
    M.HEAPU8.set(bytes, ptr);
    const reply = withString(String(msg.what), (w) => M.UTF8ToString(M._genlab_worker_data(w, ptr, bytes.length)));
    M._free(ptr);
    postMessage({ type: 'reply', reply });
    sendSnapshot(true);
  } else if (msg.type === 'serialise') {
    const info = JSON.parse(M.UTF8ToString(M._genlab_worker_serialise()));
    if (info.error) {
      postMessage({ type: 'weights', purpose: msg.purpose, error: info.error });
    } else {
      const ptr = M._genlab_worker_bytes();
      const bytes = M.HEAPU8.slice(ptr, ptr + info.length);
      postMessage({ type: 'weights', purpose: msg.purpose, file: info.file, label: info.label, bytes }, [bytes.buffer]);
    }
  }
  schedule();
}

// Zero-delay scheduling through a MessageChannel (nested setTimeout(0) is clamped to 4 ms),
// so queued page messages still run between slices.
const channel = new MessageChannel();
let scheduled = false;
channel.port1.onmessage = () => {
  scheduled = false;
  if (!M._genlab_worker_busy()) { sendSnapshot(false); return; }
  M._genlab_worker_run(kSliceMs);
  sendSnapshot(false);
  schedule();
};
function schedule() {
  if (scheduled || !M) return;
  scheduled = true;
  channel.port2.postMessage(0);
}

self.onmessage = (e) => {
  if (!M) { queue.push(e.data); return; }
  try { handle(e.data); } catch (err) { fail(err && err.message || err); }
};

try {
  importScripts('genlab_train_worker.js');
  createGenlabTrainWorker().then((module) => {
    M = module;
    postMessage({ type: 'ready' });
    for (const msg of queue.splice(0)) {
      try { handle(msg); } catch (err) { fail(err && err.message || err); }
    }
  }, (err) => fail('training module failed to start: ' + (err && err.message || err)));
} catch (err) {
  fail('could not load genlab_train_worker.js: ' + (err && err.message || err));
}
