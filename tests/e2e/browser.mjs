// Headless system Chromium for e2e tests (never a downloaded browser). WebGL2 is rendered by
// SwiftShader; the network flags keep Chromium from reaching for services on a closed network.
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser',
                    '/usr/bin/google-chrome'].filter(Boolean);

export function chromiumPath() {
  const found = CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`no Chromium at ${CANDIDATES.join(', ')}: apt-get install chromium, or set CHROMIUM_PATH`);
  return found;
}

export function launchChromium() {
  const args = [
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
  ];
  if (process.getuid?.() === 0) args.push('--no-sandbox');  // Chromium refuses root otherwise
  return chromium.launch({ executablePath: chromiumPath(), args, headless: true });
}

// Collects console errors and uncaught page errors; a test asserts the list is empty.
export function collectPageErrors(page) {
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`); });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  return errors;
}
