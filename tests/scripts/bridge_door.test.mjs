// The one door between JS and the app's C++ (issue 16): in src/app only bridge.cpp holds EM_JS /
// EM_ASM / EMSCRIPTEN_KEEPALIVE or calls the page through emscripten (everything else calls the
// plain C++ functions of bridge.h), and in web/ only genlab-bridge.js calls the app module's
// exports. (The training worker's own module, src/worker + web/genlab-train-worker.js, is a
// separate door inside the worker.)
//   node --test tests/scripts/bridge_door.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const filesIn = (dir, ext) => fs.readdirSync(path.join(repo, dir)).filter((f) => ext.some((e) => f.endsWith(e)))
  .map((f) => `${dir}/${f}`);
// Code only: comments may name what they do not use.
const code = (file) => fs.readFileSync(path.join(repo, file), 'utf8')
  .replace(/\/\*[\s\S]*?\*\//g, '').split('\n').map((l) => l.replace(/(^|[^:'"`])\/\/.*$/, '$1')).join('\n');

test('src/app: only bridge.cpp talks to JS', () => {
  const door = /\bEM_JS\b|\bEM_ASM\w*\b|\bEMSCRIPTEN_KEEPALIVE\b|\bemscripten_(?!set_main_loop\b)\w+\s*\(/g;
  const found = {};
  for (const f of filesIn('src/app', ['.cpp', '.h'])) {
    const hits = code(f).match(door);
    if (hits) found[f] = [...new Set(hits.map((h) => h.replace(/\s*\($/, '')))];
  }
  assert.ok(found['src/app/bridge.cpp']?.includes('EM_JS'), 'bridge.cpp has the EM_JS');
  assert.ok(found['src/app/bridge.cpp']?.includes('EMSCRIPTEN_KEEPALIVE'), 'bridge.cpp has the exports');
  delete found['src/app/bridge.cpp'];
  assert.deepEqual(found, {}, 'JS calls outside bridge.cpp');
});

test('web/: only genlab-bridge.js calls the app module', () => {
  const door = /Module\s*(\(\s*\))?\s*(\.|\[\s*['"`])_genlab_\w+|\._genlab_\w+|\bccall\s*\(|\bcwrap\s*\(|\._malloc\s*\(|\bHEAP(U8|F32)\b/g;
  const found = {};
  for (const f of filesIn('web', ['.js'])) {
    if (f === 'web/genlab-train-worker.js') continue;  // the worker's own module
    const hits = code(f).match(door);
    if (hits) found[f] = [...new Set(hits)];
  }
  assert.ok(found['web/genlab-bridge.js'], 'genlab-bridge.js calls the module');
  delete found['web/genlab-bridge.js'];
  assert.deepEqual(found, {}, 'module calls outside genlab-bridge.js');
  // Every page helper bridge.cpp names exists in genlab-bridge.js.
  const names = [...code('src/app/bridge.cpp').matchAll(/call_page\("(\w+)"/g)].map((m) => m[1]);
  assert.ok(names.length >= 10, `bridge.cpp calls page helpers: ${names}`);
  const bridgeJs = code('web/genlab-bridge.js');
  for (const n of names) assert.match(bridgeJs, new RegExp(`\\n    ${n}\\(`), `GenlabBridge.page.${n}`);
});
