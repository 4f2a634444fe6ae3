/* PyWry toolbars: turn user actions on toolbar components into events for Python,
 * and apply "toolbar:set-value(s)" from Python. Payloads: docs/protocol.md.
 */
(function () {
  'use strict';

  var api = window.pywry;
  if (!api) { return; }

  function payloadOf(el) {
    var raw = el.getAttribute('data-payload');
    if (!raw) { return {}; }
    try { return JSON.parse(raw) || {}; } catch (err) { return {}; }
  }

  function send(el, data) {
    data.componentId = el.id;
    api.emit(el.getAttribute('data-event'), data);
  }

  document.addEventListener('click', function (ev) {
    var el = ev.target.closest && ev.target.closest('[data-kind="button"]');
    if (!el || el.disabled) { return; }
    send(el, payloadOf(el));
  });

  document.addEventListener('change', function (ev) {
    var el = ev.target;
    if (!el.getAttribute || el.getAttribute('data-kind') !== 'select') { return; }
    send(el, { value: el.value });
  });

  function setOptions(el, options, value) {
    el.innerHTML = '';
    options.forEach(function (opt) {
      var node = document.createElement('option');
      node.value = String(opt.value);
      node.textContent = String(opt.label);
      el.appendChild(node);
    });
    if (value !== undefined && value !== null) { el.value = String(value); }
  }

  function apply(change) {
    var el = document.getElementById(change.componentId);
    if (!el) {
      console.warn('[pywry] toolbar:set-value: no component ' + change.componentId);
      return;
    }
    if (Array.isArray(change.options) && el.tagName === 'SELECT') {
      setOptions(el, change.options, change.value);
    } else if (change.value !== undefined && change.value !== null) {
      if ('value' in el && el.tagName !== 'BUTTON') { el.value = String(change.value); }
    }
    if (typeof change.label === 'string') {
      var label = document.querySelector('label[for="' + el.id + '"]');
      if (el.tagName === 'BUTTON') { el.textContent = change.label; }
      else if (label) { label.textContent = change.label; }
    }
    if (typeof change.disabled === 'boolean') { el.disabled = change.disabled; }
  }

  api.on('toolbar:set-value', apply);
  api.on('toolbar:set-values', function (d) {
    Object.keys(d.values || {}).forEach(function (id) {
      apply({ componentId: id, value: d.values[id] });
    });
  });
})();
