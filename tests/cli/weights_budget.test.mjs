// The 4 MB weights budget: weights/manifest.json (written by `genlab manifest weights/`) lists
// every shipped weights/*.safetensors with its real size, and the total stays <= 4,000,000 bytes.
//   node --test tests/cli/weights_budget.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const weightsDir = path.join(repo, 'weights');
const kBudgetBytes = 4_000_000;

test('manifest lists every weights file with its size; the total is within the 4 MB budget', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(weightsDir, 'manifest.json'), 'utf8'));
  const onDisk = fs.readdirSync(weightsDir).filter((f) => f.endsWith('.safetensors')).sort();
  const listed = manifest.files.map((e) => e.file).sort();
  assert.deepEqual(listed, onDisk, 'manifest.json is stale: run build/native/genlab manifest weights/');
  let sum = 0;
  for (const entry of manifest.files) {
    const bytes = fs.statSync(path.join(weightsDir, entry.file)).size;
    assert.equal(entry.bytes, bytes, `${entry.file}: manifest says ${entry.bytes} bytes, the file has ${bytes}`);
    sum += bytes;
  }
  assert.equal(manifest.total_bytes, sum, 'total_bytes is the sum of the files');
  assert.ok(sum <= kBudgetBytes, `weights/ holds ${sum} bytes, over the budget of ${kBudgetBytes}`);
  console.log(`# weights: ${sum} bytes of ${kBudgetBytes} (${kBudgetBytes - sum} left)`);
});
