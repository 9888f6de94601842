// postMessage API of an embedded GenLab (the page side is web/embed.js; any page can speak it):
//
//   host -> widget   {genlab: 'hello'}                      subscribe to events
//                    {genlab: 'get', id}                    -> {genlab: 'result', id, ok, value: state}
//                    {genlab: 'set', id, state: {seed: 9}}  -> {genlab: 'result', id, ok, value: state, notes}
//   widget -> host   {genlab: 'event', type: 'ready' | 'sample' | 'step', value: state}
//
// `state` speaks the URL's vocabulary: {panel, params: {seed: '7', ...}, flags, raw: genlab.state()}.
// Only origins on the allowlist are heard: the URL's origin= (comma list, set by embed.js to the
// host page's origin) plus this app's own origin; origin=* hears anyone, and only when the
// author wrote it. Replies go to the sender's origin, events to origins that said hello (or '*'
// with origin=*), never to an unchecked target.
(function () {
  'use strict';
  const subscribers = new Set();  // origins that said hello
  const stats = { accepted: 0, rejected: 0 };
  let readySent = false;

  // Read once, from the URL the widget was opened with: a later hash change (a message's set,
  // a navigation by another frame) cannot widen it.
  const ALLOW = (() => {
    const fromUrl = (window.GenlabUrl && window.GenlabUrl.parse(location.hash).flags.origin) || [];
    return { any: fromUrl.includes('*'), origins: new Set([location.origin, ...fromUrl.filter((o) => o !== '*')]) };
  })();
  const allowlist = () => ALLOW;

  const appReady = () => !!(window.genlab && window.genlab.ready() && window.GenlabUrl && window.GenlabUrl.applied);

  function snapshot() {
    const c = window.GenlabUrl.current();
    return { panel: c.panel, params: c.params, flags: window.GenlabUrl.flags(), raw: window.genlab.state() };
  }

  function post(target, origin, message) {
    if (!target || target === window) return;
    try { target.postMessage(message, origin); } catch (err) { console.warn('GenLab postMessage:', err.message || err); }
  }

  function emit(type) {
    if (window.parent === window) return;
    const message = { genlab: 'event', type, value: snapshot() };
    const { any } = allowlist();
    if (any) post(window.parent, '*', message);
    else for (const origin of subscribers) post(window.parent, origin, message);
  }

  // Applies host state in the URL vocabulary: {seed: 9} or {panel: 'gan', params: {...}}, plus
  // flags (hide, lock, theme, autoplay) if given. Same parsing and clamping as the URL.
  function applyState(state) {
    if (!state || typeof state !== 'object') throw new Error('set expects an object such as {seed: 9}');
    const current = window.GenlabUrl.current();
    const params = new URLSearchParams(window.GenlabUrl.hashFor(current));
    const given = Object.assign({}, state.params || {}, state);
    delete given.params;
    delete given.flags;
    delete given.raw;
    if (given.panel) params.set(params.has('view') ? 'view' : 'panel', given.panel);
    delete given.panel;
    for (const [k, v] of Object.entries(given)) {
      if (k === 'origin') continue;  // the allowlist is the embedding author's, not a message's
      params.set(k, Array.isArray(v) ? v.join(',') : String(v));
    }
    history.replaceState(null, '', '#' + params.toString().replace(/%2C/g, ',').replace(/%3A/g, ':'));
    return window.GenlabUrl.apply(location.hash);
  }

  window.addEventListener('message', (event) => {
    const data = event.data;
    if (!data || typeof data !== 'object' || typeof data.genlab !== 'string') return;
    const { any, origins } = allowlist();
    if (!any && !origins.has(event.origin)) {
      stats.rejected += 1;
      console.warn(`GenLab: ignored a message from ${event.origin} (not in origin=)`);
      return;
    }
    stats.accepted += 1;
    const reply = (body) => post(event.source, any ? '*' : event.origin, Object.assign({ genlab: 'result', id: data.id }, body));
    if (data.genlab === 'hello') {
      subscribers.add(event.origin);
      // Said hello after the ready event went out: it gets its own (before, watch() sends it).
      if (readySent) post(event.source, any ? '*' : event.origin, { genlab: 'event', type: 'ready', value: snapshot() });
      return;
    }
    if (!appReady()) return reply({ ok: false, error: 'not ready yet; wait for the ready event' });
    try {
      if (data.genlab === 'get') return reply({ ok: true, value: snapshot() });
      if (data.genlab === 'set') {
        const notes = applyState(data.state);
        return reply({ ok: true, value: snapshot(), notes });
      }
      reply({ ok: false, error: `unknown request "${data.genlab}" (hello, get, set)` });
    } catch (err) {
      reply({ ok: false, error: String(err.message || err) });
    }
  });

  // Events: ready once; 'sample' when new samples are shown (GAN grid done, a text generated, a
  // new point or drawing); 'step' while something runs (training steps, a playing morph).
  let last = null;
  let lastStepAt = 0;
  function watch() {
    if (window.parent === window || !appReady()) return;  // events are for an embedding page
    if (!readySent) {
      readySent = true;
      emit('ready');
    }
    let s;
    try { s = window.genlab.state(); } catch { return; }
    const st = s.state || {};
    const key = s.panel;
    if (last && last.panel === key) {
      const prev = last.state;
      const sampled = (key === 'gan' && st.ready && (!prev.ready || prev.seed !== st.seed || prev.n !== st.n)) ||
        (key === 'text' && prev.generating && !st.generating) ||
        (key === 'latent' && JSON.stringify(prev.point) !== JSON.stringify(st.point)) ||
        (key === 'draw' && prev.label !== st.label);
      if (sampled) emit('sample');
      const stepping = (key === 'train' && st.step !== prev.step) || (key === 'morph' && st.t !== prev.t);
      if (stepping && Date.now() - lastStepAt > 250) {
        lastStepAt = Date.now();
        emit('step');
      }
    }
    last = { panel: key, state: st };
  }
  setInterval(watch, 200);

  window.GenlabMessages = { stats, subscribers, allowlist };
})();
