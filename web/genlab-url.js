// URL state: the visible panel's state lives in the URL hash, so a link (or an embed) shows
// exactly what its author saw. Built on the bridge (window.genlab.state()/set(), genlab_ui):
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
  // Each panel: URL name -> { key (genlab.set field), parse(text) -> value | throws, show(state) }.
  const int = (min, max) => ({ kind: 'int', min, max });
  const num = (min, max) => ({ kind: 'num', min, max });
  const oneOf = (...values) => ({ kind: 'enum', values });

  const PANELS = {
    gan: {
      model: { key: 'conditional', type: oneOf('gan', 'cgan'), to: (v) => v === 'cgan', from: (s) => (s.conditional ? 'cgan' : 'gan') },
      n: { key: 'n', type: int(1, 64) },
      seed: { key: 'seed', type: int(0, 2147483647) },
      class: { key: 'class', type: int(-1, 9), from: (s) => s.class, skip: (s) => !s.conditional },
      z: { key: 'z', type: { kind: 'list', min: -3, max: 3, length: [1, 512] }, skip: (s) => !s.z || !s.z.length },
      zrow: { key: 'z_row', type: int(0, 63), skip: (s) => !s.z || !s.z.length },
    },
    morph: {
      a: { key: 'a', type: { kind: 'endpoint' } },
      b: { key: 'b', type: { kind: 'endpoint' } },
      kind: { key: 'slerp', type: oneOf('linear', 'slerp'), to: (v) => v === 'slerp', from: (s) => (s.slerp ? 'slerp' : 'linear') },
      t: { key: 't', type: num(0, 1) },
      steps: { key: 'steps', type: int(2, 16) },
      gseeds: { key: 'gan_seeds', type: { kind: 'list', min: 0, max: 2147483647, length: [2, 2], integer: true } },
    },
    latent: {
      point: { key: 'point', type: { kind: 'list', min: -4, max: 4, length: [2, 2] } },
      manifold: { key: 'manifold', type: { kind: 'bool' } },
      scatter: { key: 'scatter', type: { kind: 'bool' } },
    },
    draw: {
      brush: { key: 'brush', type: num(0.6, 3) },
    },
    text: {
      model: { key: 'cell', type: oneOf('lstm', 'gru') },
      prime: { key: 'prime', type: { kind: 'text', max: 2048 } },
      temperature: { key: 'temperature', type: num(0, 10) },
      topk: { key: 'top_k', type: int(0, 1000) },
      length: { key: 'length', type: int(1, 20000) },
      seed: { key: 'seed', type: int(0, 4294967295) },
      speed: { key: 'chars_per_frame', type: int(1, 10000) },
    },
    diffusion: {
      space: { key: 'space', type: oneOf('2d', '16d') },
      seed: { key: 'seed', type: int(0, 2147483647) },
      steps: { key: 'steps', type: int(4, 100) },
      guidance: { key: 'guidance', type: num(0, 8) },
      label: { key: 'label', type: int(-1, 9) },
      t: { key: 't', type: num(0, 1) },
      trails: { key: 'trails', type: { kind: 'bool' } },
    },
    train: {
      model: { key: 'kind', type: oneOf('vae', 'gan', 'rnn') },
      lr: { key: 'lr', type: num(1e-6, 0.5) },
      batch: { key: 'batch', type: int(2, 1024) },
      cell: { key: 'cell', type: oneOf('lstm', 'gru'), skip: (s) => s.kind !== 'rnn' },
    },
  };
  // Widget names embed authors may use (data-genlab="vae-morph") -> panel id.
  const ALIASES = {
    gan: 'gan', 'gan-sampler': 'gan', sampler: 'gan', morph: 'morph', 'vae-morph': 'morph',
    latent: 'latent', 'latent-map': 'latent', draw: 'draw', text: 'text', 'char-rnn': 'text',
    rnn: 'text', train: 'train', training: 'train', diffusion: 'diffusion', 'latent-diffusion': 'diffusion',
  };
  const FLAGS = ['view', 'panel', 'hide', 'show', 'lock', 'autoplay', 'theme', 'origin'];
  // Control names for hide= / show= / lock= (app::Control in src/app/panel_*.cpp); "all" is every one.
  const CONTROLS = {
    gan: ['model', 'n', 'seed', 'resample', 'class', 'z'],
    morph: ['a', 'b', 't', 'play', 'swap', 'kind', 'steps', 'gan', 'gan_seeds'],
    latent: ['layers'],
    draw: ['clear', 'brush'],
    text: ['model', 'prime', 'temperature', 'top_k', 'length', 'seed', 'speed', 'generate', 'copy', 'follow', 'distribution'],
    train: ['model', 'cell', 'text', 'play', 'reset', 'lr', 'batch', 'weights'],
    diffusion: ['space', 't', 'play', 'trails', 'steps', 'guidance', 'label', 'seed', 'n', 'train'],
  };

  // Short numbers in URLs: 0.800000011920929 (a C++ float) -> 0.8.
  const short = (x) => Number(Number(x).toPrecision(6));

  // Parses one value; returns { value } or { value, note } (clamped) or throws a message.
  function parseValue(name, type, text) {
    const clamp = (x) => {
      const c = Math.min(type.max, Math.max(type.min, x));
      return c === x ? { value: x } : { value: c, note: `${name}=${text} is out of range; using ${c}` };
    };
    switch (type.kind) {
      case 'int': {
        if (!/^[-+]?\d+$/.test(text.trim())) throw `${name}=${text} is not a whole number`;
        return clamp(Number(text));
      }
      case 'num': {
        const x = Number(text);
        if (text.trim() === '' || !Number.isFinite(x)) throw `${name}=${text} is not a number`;
        return clamp(x);
      }
      case 'bool': {
        if (/^(1|true|yes|on)$/i.test(text)) return { value: true };
        if (/^(0|false|no|off)$/i.test(text)) return { value: false };
        throw `${name}=${text} is not 0 or 1`;
      }
      case 'enum': {
        const v = text.toLowerCase();
        if (!type.values.includes(v)) throw `${name}=${text} is not one of ${type.values.join(', ')}`;
        return { value: v };
      }
      case 'text': {
        const bytes = new TextEncoder().encode(text);
        if (bytes.length <= type.max) return { value: text };
        let cut = text;
        while (new TextEncoder().encode(cut).length > type.max) cut = cut.slice(0, -1);
        return { value: cut, note: `${name} is longer than ${type.max} bytes; cut` };
      }
      case 'list': {
        const parts = text.split(',');
        const values = parts.map((p) => Number(p));
        if (parts.some((p) => p.trim() === '') || values.some((v) => !Number.isFinite(v)) ||
            (type.integer && values.some((v) => !Number.isInteger(v)))) {
          throw `${name}=${text} is not a comma-separated list of numbers`;
        }
        if (values.length < type.length[0] || values.length > type.length[1]) {
          throw `${name} needs ${type.length[0] === type.length[1] ? type.length[0] : `${type.length[0]}..${type.length[1]}`} numbers`;
        }
        const clamped = values.map((v) => Math.min(type.max, Math.max(type.min, v)));
        const changed = clamped.some((v, i) => v !== values[i]);
        return { value: clamped, note: changed ? `${name}: values outside [${type.min}, ${type.max}] clamped` : undefined };
      }
      case 'endpoint': {
        // test:N (a test digit), random:S (a seed of z ~ N(0, I)), or just N (test digit N).
        const m = /^(?:(test|random):)?(\d+)$/i.exec(text.trim());
        if (!m) throw `${name}=${text} is not test:N, random:S or N`;
        const source = (m[1] || 'test').toLowerCase();
        const n = Number(m[2]);
        if (source === 'test') {
          const c = Math.min(999, n);
          return { value: { test: c }, note: c !== n ? `${name}: test digits are 0..999; using ${c}` : undefined };
        }
        const c = Math.min(2147483647, n);
        return { value: { random: c }, note: c !== n ? `${name}: seed clamped to ${c}` : undefined };
      }
      default:
        throw `${name}: unsupported`;
    }
  }

  function showValue(spec, state) {
    const v = spec.from ? spec.from(state) : state[spec.key];
    if (v === undefined || v === null) return undefined;
    if (spec.type.kind === 'endpoint') {
      if (v.test !== undefined) return `test:${v.test}`;
      if (v.random !== undefined) return `random:${v.random}`;
      return undefined;  // a drawing cannot travel in a URL
    }
    if (spec.type.kind === 'list') return v.map(short).join(',');
    if (spec.type.kind === 'bool') return v ? '1' : '0';
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
        const { value, note } = parseValue(name, spec.type, text);
        if (note) notes.push(note);
        params[name] = value;
        set[spec.key] = spec.to ? spec.to(value) : value;
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
    const out = JSON.parse(window.Module.ccall('genlab_ui', 'string', ['string'], [JSON.stringify(obj)]));
    if (out && out.error) throw new Error(out.error);
    return out;
  }

  // Turns on what autoplay means for the panel once it can (weights or data may still load).
  function startAutoplay(panel) {
    clearInterval(autoplayTimer);
    const field = { morph: 'playing', text: 'generating', train: 'running', diffusion: 'playing' }[panel];
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
      // One field at a time, so one bad value cannot drop the others.
      // The model first (train's lr/batch are per model), an edited GAN z last (a seed resets it).
      const set = Object.assign({}, parsed.set);
      const rank = (k) => (k === 'kind' || k === 'conditional' ? 0 : k === 'z' ? 2 : 1);
      const zRow = set.z_row;
      delete set.z_row;
      for (const key of Object.keys(set).sort((a, b) => rank(a) - rank(b))) {
        const field = key === 'z' && zRow !== undefined ? { z: set.z, z_row: zRow } : { [key]: set[key] };
        try { g.set(field); } catch (err) { notes.push(`${key}: ${err.message || err}; ignored`); }
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

  const HEIGHTS = { gan: 480, morph: 560, latent: 520, draw: 520, text: 560, train: 600, diffusion: 560 };
  const TITLES = { gan: 'GAN sampler', morph: 'VAE morph', latent: 'latent map', draw: 'draw a digit',
                   text: 'character-level RNN', train: 'training', diffusion: 'latent diffusion' };
  const escapeAttr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

  function links() {
    const c = current();
    const link = appUrl() + '#' + hashFor(c);
    const embedSrc = appUrl() + '#' + hashFor(c, { embed: true });
    const embed = `<iframe src="${escapeAttr(embedSrc)}" title="GenLab: ${TITLES[c.panel] || c.panel}" ` +
      `width="100%" height="${HEIGHTS[c.panel] || 520}" style="border:0;max-width:900px" loading="lazy" ` +
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
    flags: () => flags, notes: [], applied: false, lastShared: null, PANELS, ALIASES, CONTROLS,
  };
  window.GenlabUrl = GenlabUrl;
})();
