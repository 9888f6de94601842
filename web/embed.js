// GenLab widgets for course pages. One script, then placeholders:
//
//   <script src="https://example.org/genlab/embed.js"></script>
//   <div data-genlab="vae-morph" data-a="test:3" data-b="test:7" data-autoplay="1"></div>
//   <genlab-widget panel="gan" seed="7" lock="all"></genlab-widget>
//
// Every placeholder becomes an iframe of the app next to this script (index.html) in embed mode
// (view=<panel>), created when it scrolls near the viewport. All other data-* attributes (or
// attributes of <genlab-widget>) are URL parameters: seed, n, model, a, b, kind, t, prime,
// temperature, topk, length, lr, batch, hide, show, lock, autoplay, theme (see README).
// Sizing: data-height (px, default per panel), data-width (CSS width, default 100%).
// data-allow-origin: who may talk to the widget besides this page (comma list; "*" = anyone).
//
// Each placeholder gets `element.genlab`: { ready: Promise, get(), set(state), on(type, fn) }
// (get/set resolve to {panel, params, flags, raw}), and DOM events genlab:ready / genlab:sample /
// genlab:step on the element. Messages are only accepted from the widget's own frame and origin.
(function () {
  'use strict';
  if (window.GenlabEmbed) return;  // the script twice on one page

  const script = document.currentScript;
  const appUrl = new URL('index.html', script ? script.src : location.href);
  const appOrigin = appUrl.origin;

  // Widget names, iframe titles and heights: the app's panel schema (src/schema/panel_schema.cpp),
  // which the build writes as genlab-schema.js next to this script. Loaded as a script, so a
  // course page on another origin needs no CORS; the placeholders are set up once it is in.
  const schemaReady = window.GenlabSchema ? Promise.resolve(window.GenlabSchema) : new Promise((resolve, reject) => {
    const tag = document.createElement('script');
    tag.src = new URL('genlab-schema.js', appUrl).href;
    tag.onload = () => (window.GenlabSchema ? resolve(window.GenlabSchema) : reject(new Error(`${tag.src} did not define GenlabSchema`)));
    tag.onerror = () => reject(new Error(`could not load ${tag.src}`));
    (document.head || document.documentElement).appendChild(tag);
  });
  const NOT_PARAMS = new Set(['genlab', 'panel', 'height', 'width', 'allow-origin', 'title']);

  let nextId = 1;

  // {name: value} of a placeholder's settings: data-* for a div, plain attributes for the element.
  function settingsOf(el) {
    const out = {};
    const custom = el.localName === 'genlab-widget';
    for (const attr of Array.from(el.attributes)) {
      let name = attr.name;
      if (name.startsWith('data-')) name = name.slice(5);
      else if (!custom || ['class', 'style', 'id'].includes(name)) continue;
      out[name] = attr.value;
    }
    if (custom) out.genlab = out.genlab || out.panel;
    return out;
  }

  function widgetSrc(panel, settings) {
    const params = new URLSearchParams();
    params.set('view', panel);
    for (const [name, value] of Object.entries(settings)) {
      if (!NOT_PARAMS.has(name)) params.set(name, value);
    }
    const allowed = [location.origin].concat(
      (settings['allow-origin'] || '').split(',').map((s) => s.trim()).filter(Boolean));
    params.set('origin', allowed.includes('*') ? '*' : Array.from(new Set(allowed)).join(','));
    return appUrl.href + '#' + params.toString().replace(/%2C/g, ',').replace(/%3A/g, ':');
  }

  function mount(el) {
    if (el.genlab) return el.genlab;
    const settings = settingsOf(el);
    const listeners = {};
    let frame = null;
    let panel = null;
    let height = 0;
    let resolveReady, rejectReady;
    const ready = new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject; });
    ready.catch(() => {});  // a page that never asks is not told twice
    const pending = new Map();

    // The placeholder shows why it is not a widget instead of one.
    function refuse(message) {
      el.textContent = 'GenLab: ' + message;
      rejectReady(new Error(el.textContent));
    }

    function setUp(schema) {
      panel = schema.aliases[String(settings.genlab || '').toLowerCase()];
      if (!panel) {
        refuse(`"${settings.genlab || ''}" is not a widget (${Object.keys(schema.aliases).join(', ')})`);
        return;
      }
      height = Number(settings.height) > 0 ? Number(settings.height) : schema.panels[panel].height;
      el.style.display = 'block';
      el.style.width = settings.width || '100%';
      el.style.maxWidth = '100%';
      el.style.minHeight = height + 'px';
      // Lazy: the iframe (and so the wasm and weights) loads when the placeholder comes near view.
      if ('IntersectionObserver' in window && settings.lazy !== '0') {
        const observer = new IntersectionObserver((entries) => {
          if (entries.some((e) => e.isIntersecting)) {
            observer.disconnect();
            create(schema);
          }
        }, { rootMargin: '300px 0px' });
        observer.observe(el);
      } else {
        create(schema);
      }
    }

    function send(message) {
      if (!frame || !frame.contentWindow) return;
      frame.contentWindow.postMessage(message, appOrigin);  // never '*': only the app hears it
    }

    function request(kind, state) {
      return ready.then(() => new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        send({ genlab: kind, id, state });
      }));
    }

    function onMessage(event) {
      if (!frame || event.source !== frame.contentWindow || event.origin !== appOrigin) return;
      const data = event.data;
      if (!data || typeof data !== 'object') return;
      if (data.genlab === 'result' && pending.has(data.id)) {
        const { resolve, reject } = pending.get(data.id);
        pending.delete(data.id);
        if (data.ok) resolve(data.value);
        else reject(new Error(data.error || 'GenLab request failed'));
      } else if (data.genlab === 'event') {
        if (data.type === 'ready') resolveReady(data.value);
        for (const fn of listeners[data.type] || []) {
          try { fn(data.value); } catch (err) { console.error(err); }
        }
        el.dispatchEvent(new CustomEvent('genlab:' + data.type, { detail: data.value }));
      }
    }

    function create(schema) {
      if (frame || !panel) return;
      frame = document.createElement('iframe');
      frame.src = widgetSrc(panel, settings);
      frame.title = settings.title || `GenLab: ${schema.panels[panel].title}`;
      frame.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-popups');
      frame.setAttribute('allow', 'clipboard-write');
      frame.style.cssText = `display:block;width:100%;height:${height}px;border:0;`;
      window.addEventListener('message', onMessage);
      frame.addEventListener('load', () => send({ genlab: 'hello' }));
      el.textContent = '';
      el.appendChild(frame);
    }

    schemaReady.then(setUp, (err) => refuse(err.message));

    el.genlab = {
      ready,
      get: () => request('get'),
      set: (state) => request('set', state),
      on: (type, fn) => { (listeners[type] = listeners[type] || []).push(fn); },
      load: () => schemaReady.then(create),  // load now, without waiting to be scrolled into view
      get frame() { return frame; },
    };
    return el.genlab;
  }

  function scan(root) {
    (root || document).querySelectorAll('[data-genlab], genlab-widget').forEach(mount);
  }

  if (window.customElements && !customElements.get('genlab-widget')) {
    customElements.define('genlab-widget', class extends HTMLElement {
      connectedCallback() { mount(this); }
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => scan());
  else scan();

  window.GenlabEmbed = { scan, mount, appUrl: appUrl.href };
})();
