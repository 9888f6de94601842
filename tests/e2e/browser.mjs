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

// Counts pixels of a PNG that differ from `background` by more than `tolerance` in some channel.
// The PNG is decoded by the browser itself (no image library needed).
export async function countForegroundPixels(page, png, background, tolerance = 24) {
  return page.evaluate(async ({ b64, bg, tol }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - bg[0]) > tol || Math.abs(data[i + 1] - bg[1]) > tol ||
          Math.abs(data[i + 2] - bg[2]) > tol) n++;
    }
    return { foreground: n, total: c.width * c.height };
  }, { b64: png.toString('base64'), bg: background, tol: tolerance });
}
