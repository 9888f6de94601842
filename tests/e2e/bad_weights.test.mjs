// Bad weights through the plain server (tests/e2e/bad_weights_scenario.mjs; encodings.test.mjs
// runs the same under compressed transfers): a truncated gan.safetensors, a cgan.safetensors that
// is really a VAE, no vae16.safetensors (404). Each panel shows the error with a Retry button;
// the other panels keep working; Retry after the file is fixed loads it.
import { test, before, after } from 'node:test';
import fs from 'node:fs';
import { startApp } from './app.mjs';
import { makeBadSite, runBadWeights } from './bad_weights_scenario.mjs';

let env;
let badSite;

before(async () => {
  badSite = makeBadSite();
  env = await startApp({ root: badSite });
});
after(async () => {
  await env?.close();
  if (badSite) fs.rmSync(badSite, { recursive: true, force: true });
});

test('bad weights: error + Retry in the panel, other panels keep working', async () => {
  await runBadWeights(env, badSite);
});
