// URL state: the visible panel's state lives in the URL hash, so a link (or an embed) shows
// exactly what its author saw. Built on the bridge (window.genlab.state()/set(), GenlabBridge.app.ui):
//
//   #panel=gan&model=gan&n=16&seed=7                      the full app on a panel
//   #view=morph&a=test:3&b=test:7&kind=slerp&autoplay=1   embed mode: that panel only
//
// Lesson flags: view= (one panel, no tab bar or menus), hide= / show= / lock= (comma lists of
// control names, hide=all hides every named control), autoplay=1 (morph, text, train),
// theme=light|dark, origin= (who may talk to an embedded widget, see genlab-messages.js).
// Unknown or malformed parameters are ignored and listed in a note in the app; numbers are
// clamped to their valid ranges. The hash follows the state as the user changes it.
//
// window.GenlabUrl: { parse(hash) -> {panel, params, flags, notes}, apply(hash), current() ->
// {panel, params}, share(what), links() -> {link, embed, embedScript}, notes, applied }.
(function () {
  'use strict';

  // ---- parameter schema ------------------------------------------------------------------------
  // From the C++ tables (src/schema/panel_schema.cpp), written by the build as genlab-schema.js
  // (window.GenlabSchema), loaded before this file. Per panel: URL name -> the declared key
  // {param, field, type, min, max, choices, ...}, plus to/from for a bool field spelled as a
  // choice (model=cgan <-> conditional: true) and skip(state) for keys a link carries only
  // sometimes (shown_if).
  const SCHEMA = window.GenlabSchema;
  if (!SCHEMA) throw new Error('GenLab: genlab-schema.js is not loaded (the build writes it next to index.html)');

  const truthy = (v) => (Array.isArray(v) ? v.length > 0 : !!v);
  function urlSpec(key) {
    const spec = Object.assign({}, key);
    if (key.type === 'choice' && key.boolean) {
      spec.to = (v) => v === key.choices[1];
      spec.from = (s) => key.choices[s[key.field] ? 1 : 0];
    }
    if (key.shown_if) {
      const [field, value] = key.shown_if.split('=');
      spec.skip = value === undefined ? (s) => !truthy(s[field]) : (s) => String(s[field]) !== value;
    }
    return spec;
  }
  const PANELS = {};    // panel id -> {URL name -> spec}, in the order a link applies them
  const CONTROLS = {};  // panel id -> control names for hide= / show= / lock= (app::Control)
  for (const id of SCHEMA.order) {
    PANELS[id] = {};
    for (const key of SCHEMA.panels[id].keys) PANELS[id][key.param] = urlSpec(key);
    CONTROLS[id] = SCHEMA.panels[id].controls;
  }
  // Widget names embed authors may use (data-genlab="vae-morph") -> panel id.
  const ALIASES = SCHEMA.aliases;
  const FLAGS = ['view', 'panel', 'hide', 'show', 'lock', 'autoplay', 'theme', 'origin'];

  // Short numbers in URLs: 0.800000011920929 (a C++ float) -> 0.8; whole numbers (seeds) as they are.
  const short = (x) => (Number.isInteger(Number(x)) ? Number(x) : Number(Number(x).toPrecision(6)));

  // Parses one value of a declared key; returns { value } or { value, note } (clamped) or throws a message.
  function parseValue(name, spec, text) {
    const clamp = (x) => {
      const c = Math.min(spec.max, Math.max(spec.min, x));
      return c === x ? { value: x } : { value: c, note: `${name}=${text} is out of range; using ${c}` };
    };
    switch (spec.type) {
      case 'int': {
        if (!/^[-+]?\d+$/.test(text.trim())) throw `${name}=${text} is not a whole number`;
        return clamp(Number(text));
      }
      case 'number': {
        const x = Number(text);
        if (text.trim() === '' || !Number.isFinite(x)) throw `${name}=${text} is not a number`;
        return clamp(x);
      }
      case 'bool': {
        if (/^(1|true|yes|on)$/i.test(text)) return { value: true };
        if (/^(0|false|no|off)$/i.test(text)) return { value: false };
        throw `${name}=${text} is not 0 or 1`;
      }
      case 'choice': {
        const v = text.toLowerCase();
        if (!spec.choices.includes(v)) throw `${name}=${text} is not one of ${spec.choices.join(', ')}`;
        return { value: v };
      }
      case 'text': {
        const bytes = new TextEncoder().encode(text);
        if (bytes.length <= spec.max_bytes) return { value: text };
        let cut = text;
        while (new TextEncoder().encode(cut).length > spec.max_bytes) cut = cut.slice(0, -1);
        return { value: cut, note: `${name} is longer than ${spec.max_bytes} bytes; cut` };
      }
      case 'list': {
        const parts = text.split(',');
        const values = parts.map((p) => Number(p));
        if (parts.some((p) => p.trim() === '') || values.some((v) => !Number.isFinite(v)) ||
            (spec.integers && values.some((v) => !Number.isInteger(v)))) {
          throw `${name}=${text} is not a comma-separated list of numbers`;
        }
        if (values.length < spec.min_items || values.length > spec.max_items) {
          throw `${name} needs ${spec.min_items === spec.max_items ? spec.min_items : `${spec.min_items}..${spec.max_items}`} numbers`;
        }
        const clamped = values.map((v) => Math.min(spec.max, Math.max(spec.min, v)));
        const changed = clamped.some((v, i) => v !== values[i]);
        return { value: clamped, note: changed ? `${name}: values outside [${spec.min}, ${spec.max}] clamped` : undefined };
      }
      case 'endpoint': {
        // test:N (a test digit), random:S (a seed of z ~ N(0, I)), or just N (test digit N).
        const m = /^(?:(test|random):)?(\d+)$/i.exec(text.trim());
        if (!m) throw `${name}=${text} is not test:N, random:S or N`;
        const source = (m[1] || 'test').toLowerCase();
        const n = Number(m[2]);
        if (source === 'test') {
          const c = Math.min(spec.max, n);
          return { value: { test: c }, note: c !== n ? `${name}: test digits are ${spec.min}..${spec.max}; using ${c}` : undefined };
        }
        const c = Math.min(spec.seed_max, n);
        return { value: { random: c }, note: c !== n ? `${name}: seed clamped to ${c}` : undefined };
      }
      default:
        throw `${name}: unsupported`;
    }
  }

  function showValue(spec, state) {
    const v = spec.from ? spec.from(state) : state[spec.field];
    if (v === undefined || v === null) return undefined;
    if (spec.type === 'endpoint') {
      if (v.test !== undefined) return `test:${v.test}`;
      if (v.random !== undefined) return `random:${v.random}`;
      return undefined;  // a drawing cannot travel in a URL
    }
    if (spec.type === 'list') return v.map(short).join(',');
    if (spec.type === 'bool') return v ? '1' : '0';
    if (typeof v === 'number') return String(short(v));
    return String(v);
  }

  const panelOf = (name) => ALIASES[String(name || '').toLowerCase()];

  const nameList = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);

  // Parses "a=1&b=2" (a URL hash without '#', or search params) into what genlab.set and
  // genlab_ui need. Never throws: what it cannot use goes to `notes`.
  function parse(hash) {
    const notes = [];
    const flags = {};
    const raw = new URLSearchParams(String(hash || '').replace(/^#/, ''));
    let panel;
    for (const key of ['view', 'panel']) {
      if (!raw.has(key)) continue;
      const p = panelOf(raw.get(key));
      if (p) {
        panel = p;
        if (key === 'view') flags.view = p;
      } else {
        notes.push(`${key}=${raw.get(key)} is not a panel (${Object.keys(PANELS).join(', ')}); ignored`);
      }
    }
    const schema = PANELS[panel] || {};
    const params = {};   // URL names -> parsed values (for get() / links)
    const set = {};      // genlab.set fields
    for (const [name, text] of raw) {
      if (FLAGS.includes(name)) continue;
      const spec = schema[name];
      if (!spec) {
        notes.push(panel ? `unknown parameter "${name}" for the ${panel} panel; ignored`
                         : `parameter "${name}" needs panel= or view=; ignored`);
        continue;
      }
      try {
        const { value, note } = parseValue(name, spec, text);
        if (note) notes.push(note);
        params[name] = value;
        set[spec.field] = spec.to ? spec.to(value) : value;
      } catch (message) {
        notes.push(`${message}; ignored`);
      }
    }
    for (const key of ['hide', 'show', 'lock']) {
      if (!raw.has(key)) continue;
      const known = panel ? CONTROLS[panel] : Object.values(CONTROLS).flat();
      flags[key] = nameList(raw.get(key)).filter((name) => {
        if (name === 'all' || known.includes(name)) return true;
        notes.push(`${key}: no control "${name}"${panel ? ` on the ${panel} panel (${known.join(', ')})` : ''}; ignored`);
        return false;
      });
    }
    if (raw.has('theme')) {
      const theme = raw.get('theme').toLowerCase();
      if (theme === 'light' || theme === 'dark') flags.theme = theme;
      else notes.push(`theme=${raw.get('theme')} is not light or dark; ignored`);
    }
    if (raw.has('autoplay')) {
      const a = raw.get('autoplay');
      if (/^(1|true|yes|on)$/i.test(a)) flags.autoplay = true;
      else if (!/^(0|false|no|off)$/i.test(a)) notes.push(`autoplay=${a} is not 0 or 1; ignored`);
    }
    if (raw.has('origin')) {
      flags.origin = nameList(raw.get('origin')).filter((o) => {
        let ok = o === '*';
        try { ok = ok || new URL(o).origin === o; } catch { /* not a URL */ }
        if (!ok) notes.push(`origin: "${o}" is not an origin such as https://example.org; ignored`);
        return ok;
      });
    }
    return { panel, params, set, flags, notes };
  }

  // ---- applying ----------------------------------------------------------------------------------
  let flags = {};
  let lastHash = null;
  let autoplayTimer = null;

  function ui(obj) {
    return window.GenlabBridge.app.ui(obj);
  }

  // Turns on what autoplay means for the panel once it can (weights or data may still load).
  function startAutoplay(panel) {
    clearInterval(autoplayTimer);
    const field = SCHEMA.panels[panel] && SCHEMA.panels[panel].autoplay;
    if (!field) return;
    const started = Date.now();
    const tryStart = () => {
      const g = window.genlab;
      try {
        if (g.state().panel !== panel) return clearInterval(autoplayTimer);
        if (g.state().state[field]) return clearInterval(autoplayTimer);
        g.set({ [field]: true });
        if (g.state().state[field]) clearInterval(autoplayTimer);
      } catch { /* not loaded yet: try again */ }
      if (Date.now() - started > 180_000) clearInterval(autoplayTimer);
    };
    autoplayTimer = setInterval(tryStart, 250);
    tryStart();
  }

  // Applies a hash to the running app; returns the notes.
  function apply(hash) {
    const parsed = parse(hash);
    const g = window.genlab;
    const notes = parsed.notes.slice();
    flags = parsed.flags;
    const uiFlags = { view: flags.view || '', hide: flags.hide || [], show: flags.show || [],
                      lock: flags.lock || [], theme: flags.theme || 'dark' };
    try { ui(uiFlags); } catch (err) { notes.push(String(err.message || err)); }
    document.documentElement.dataset.theme = uiFlags.theme;
    if (parsed.panel) {
      try {
        g.set({ panel: parsed.panel });
      } catch (err) {
        notes.push(String(err.message || err));
      }
      // One field at a time (a key with sent_with goes with that field), so one bad value cannot
      // drop the others; in the schema's order (the model first, an edited GAN z last).
      for (const spec of Object.values(PANELS[parsed.panel])) {
        if (!(spec.field in parsed.set) || (spec.sent_with && spec.sent_with in parsed.set)) continue;
        const fields = { [spec.field]: parsed.set[spec.field] };
        for (const other of Object.values(PANELS[parsed.panel])) {
          if (other.sent_with === spec.field && other.field in parsed.set) fields[other.field] = parsed.set[other.field];
        }
        try { g.set(fields); } catch (err) { notes.push(`${spec.field}: ${err.message || err}; ignored`); }
      }
      if (flags.autoplay) startAutoplay(parsed.panel);
    }
    GenlabUrl.notes = notes;
    try { ui({ notes }); } catch { /* shown in the console only */ }
    if (notes.length) console.warn('GenLab URL: ' + notes.join(' | '));
    lastHash = location.hash;
    return notes;
  }

  // ---- reading back --------------------------------------------------------------------------------
  function current() {
    const s = window.genlab.state();
    const schema = PANELS[s.panel] || {};
    const params = {};
    for (const [name, spec] of Object.entries(schema)) {
      if (spec.skip && spec.skip(s.state)) continue;
      const v = showValue(spec, s.state);
      if (v !== undefined) params[name] = v;
    }
    return { panel: s.panel, params };
  }

  // The hash for the current state, keeping the lesson flags it was opened with.
  function hashFor({ panel, params }, { embed = false } = {}) {
    const out = new URLSearchParams();
    out.set(embed || flags.view ? 'view' : 'panel', panel);
    for (const [k, v] of Object.entries(params)) out.set(k, v);
    for (const key of ['hide', 'show', 'lock']) if (flags[key] && flags[key].length) out.set(key, flags[key].join(','));
    if (flags.autoplay) out.set('autoplay', '1');
    if (flags.theme) out.set('theme', flags.theme);
    if (flags.origin && !embed) out.set('origin', flags.origin.join(','));
    return out.toString().replace(/%2C/g, ',').replace(/%3A/g, ':');
  }

  const appUrl = () => new URL('index.html', location.href).href;

  const escapeAttr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

  function links() {
    const c = current();
    const link = appUrl() + '#' + hashFor(c);
    const embedSrc = appUrl() + '#' + hashFor(c, { embed: true });
    const panel = SCHEMA.panels[c.panel] || { title: c.panel, height: 520 };
    const embed = `<iframe src="${escapeAttr(embedSrc)}" title="GenLab: ${panel.title}" ` +
      `width="100%" height="${panel.height}" style="border:0;max-width:900px" loading="lazy" ` +
      'sandbox="allow-scripts allow-same-origin allow-popups"></iframe>';
    const data = Object.entries(c.params).map(([k, v]) => ` data-${k}="${escapeAttr(String(v))}"`).join('');
    const extra = ['hide', 'show', 'lock'].filter((k) => flags[k] && flags[k].length)
      .map((k) => ` data-${k}="${flags[k].join(',')}"`).join('') + (flags.autoplay ? ' data-autoplay="1"' : '') +
      (flags.theme ? ` data-theme="${flags.theme}"` : '');
    const embedScript = `<script src="${new URL('embed.js', location.href).href}"></script>\n` +
      `<div data-genlab="${c.panel}"${data}${extra}></div>`;
    return { link, embed, embedScript };
  }

  // Keeps the hash in step with the state (replaceState: no history entry per slider move).
  function follow() {
    try {
      if (!window.genlab || !window.genlab.ready()) return;
      // Someone changed the hash (a link, the back button) and hashchange has not run yet: that
      // hash wins over the state it is about to replace.
      if (location.hash !== lastHash) { apply(location.hash); return; }
      const hash = '#' + hashFor(current());
      if (hash !== location.hash) {
        history.replaceState(null, '', hash);
        lastHash = location.hash;
      }
    } catch { /* state unavailable for a moment (e.g. a panel still loading) */ }
  }

  function flash(text) {
    try { ui({ flash: text }); } catch { /* ignore */ }
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Sandboxed frames may not have the async clipboard; the old path still works there.
      const area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.appendChild(area);
      area.select();
      let ok = false;
      try { ok = document.execCommand('copy'); } catch { ok = false; }
      area.remove();
      return ok;
    }
  }

  // The app's buttons (src/app/lesson.cpp): "link", "embed", "lesson", "open".
  async function share(what) {
    const l = links();
    GenlabUrl.lastShared = { what, text: what === 'embed' ? l.embed : l.link };
    if (what === 'link' || what === 'embed') {
      const ok = await copyText(GenlabUrl.lastShared.text);
      flash(ok ? (what === 'link' ? 'Link copied' : 'Embed code copied')
               : 'Could not copy (clipboard blocked); see the console');
      if (!ok) console.info(GenlabUrl.lastShared.text);
    } else if (what === 'lesson') {
      window.open(new URL('examples/lesson.html', appUrl()).href, '_blank', 'noopener');
    } else if (what === 'open') {
      const full = new URLSearchParams(hashFor(current()));
      for (const key of ['view', 'hide', 'show', 'lock', 'origin']) full.delete(key);
      full.set('panel', current().panel);
      // No 'noopener' feature: with it window.open returns null even when it worked.
      const w = window.open(appUrl() + '#' + full.toString().replace(/%2C/g, ',').replace(/%3A/g, ':'), '_blank');
      if (w) w.opener = null;
      else flash('Popups are blocked here; open ' + appUrl());
    }
  }

  // Called by genlab-loader.js once the first frame is drawn.
  function start() {
    apply(location.hash);
    GenlabUrl.applied = true;
    setInterval(follow, 400);
    window.addEventListener('hashchange', () => {
      if (location.hash !== lastHash) apply(location.hash);
    });
  }

  const GenlabUrl = {
    parse, apply, current, links, share, start, startAutoplay, panelOf, hashFor,
    flags: () => flags, notes: [], applied: false, lastShared: null, SCHEMA, PANELS, ALIASES, CONTROLS,
  };
  window.GenlabUrl = GenlabUrl;
})();
