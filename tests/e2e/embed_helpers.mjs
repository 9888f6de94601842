// Helpers for the embedding tests: a strict Content-Security-Policy for the app's server, host
// pages written to a temporary folder and served from other origins, and a pixel count.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// What a careful course site would send: no inline scripts, no eval ('wasm-unsafe-eval' only
// allows compiling WebAssembly), nothing from other origins.
export const STRICT_CSP = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'",
  "img-src 'self' data: blob:", "connect-src 'self'", "worker-src 'self'", "object-src 'none'",
  "base-uri 'none'", "form-action 'none'",
].join('; ');

// Writes {name: html} into a fresh temporary folder; returns its path.
export function writePages(pages) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-host-'));
  for (const [name, html] of Object.entries(pages)) fs.writeFileSync(path.join(dir, name), html);
  return dir;
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

// Records CSP violations in every frame of a page (an init script is not subject to the CSP).
export async function recordCspViolations(context) {
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
}
