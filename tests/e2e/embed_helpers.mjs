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

// The pixel counter lives with the other browser helpers.
export { countForegroundPixels } from './browser.mjs';

// Records CSP violations in every frame of a page (an init script is not subject to the CSP).
export async function recordCspViolations(context) {
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
}
