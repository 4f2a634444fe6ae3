/* PyWry theme: light or dark on <html data-theme>, following the system by default.
 *
 * The mode comes from the page settings' theme (<script type="application/json"
 * id="pywry-config">) ("light" | "dark" | "system"); Python's
 * pywry:update-theme {theme} changes it. In "system" mode the page follows
 * prefers-color-scheme, live. pywry.css, grid.css and the Plotly widget read the
 * resolved theme; widgets hear about a change through the DOM event "pywry:theme"
 * on document, detail {theme: "light" | "dark", mode}.
 *
 * Loaded in <head> so the first paint is already themed.
 * window.pywryTheme: {mode(), current(), set(mode)}.
 */
(function () {
  'use strict';

  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  var mode = normalise(pageConfig().theme);

  /* The page's settings: the JSON data element (bridge.js exposes it as window.__PYWRY__). */
  function pageConfig() {
    var element = document.getElementById('pywry-config');
    if (!element) return window.__PYWRY__ || {};
    try {
      return JSON.parse(element.textContent) || {};
    } catch (err) {
      console.error('[pywry] the page settings are not valid JSON', err);
      return {};
    }
  }

  function normalise(value) {
    return value === 'light' || value === 'dark' ? value : 'system';
  }

  function current() {
    if (mode !== 'system') return mode;
    return media && media.matches ? 'dark' : 'light';
  }

  function apply() {
    var theme = current();
    var changed = root.getAttribute('data-theme') !== theme;
    root.setAttribute('data-theme', theme);
    root.setAttribute('data-theme-mode', mode);
    root.style.colorScheme = theme;
    if (changed) {
      document.dispatchEvent(new CustomEvent('pywry:theme', { detail: { theme: theme, mode: mode } }));
    }
  }

  var api = {
    mode: function () { return mode; },
    current: current,
    set: function (value) {
      mode = normalise(value);
      apply();
    }
  };
  window.pywryTheme = api;

  if (media) {
    var follow = function () { if (mode === 'system') apply(); };
    if (media.addEventListener) media.addEventListener('change', follow);
    else if (media.addListener) media.addListener(follow);
  }
  apply();

  function listen() {
    if (!window.pywry) return;
    // Every widget of a composed page may be told (bridge.js mount()).
    window.pywry.mount(function (widget) {
      widget.on('pywry:update-theme', function (d) { api.set(d && d.theme); });
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', listen);
  else listen();
})();
