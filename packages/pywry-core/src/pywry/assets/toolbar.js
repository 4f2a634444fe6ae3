/* PyWry toolbars (payloads: docs/toolbar.md, events: docs/protocol.md).
 *
 * - user actions on components become events for Python: {..., componentId}
 * - "toolbar:set-value" / "toolbar:set-values" from Python change components
 * - "toolbar:request-state" is answered with "toolbar:state" {requestId, values}
 * - SecretInput values are fetched from Python on reveal/copy, never kept in the page
 * - collapsible and resizable toolbars
 */
(function () {
  'use strict';

  var api = window.pywry;
  if (!api) { return; }

  var timers = {};            // componentId -> pending debounce timer
  var lastSent = {};          // componentId -> last value sent (typed inputs)
  var secretRequests = {};    // requestId -> {action, el, button}
  var nextRequest = 1;

  function kindOf(el) { return el && el.getAttribute ? el.getAttribute('data-kind') : null; }
  function owner(node, kind) {
    var el = node && node.closest ? node.closest('[data-kind]') : null;
    return el && (!kind || kindOf(el) === kind) ? el : null;
  }
  function numberOrNull(text) { return text === '' || text === null ? null : Number(text); }
  function toText(value) { return value === null || value === undefined ? '' : String(value); }

  function send(el, data) {
    var event = el.getAttribute('data-event');
    if (!event) { return; }
    data.componentId = el.id;
    api.widgetOf(el).emit(event, data);
  }

  function payloadOf(el) {
    var raw = el.getAttribute('data-payload');
    if (!raw) { return {}; }
    try { return JSON.parse(raw) || {}; } catch (err) { return {}; }
  }

  /* ---- reading values --------------------------------------------------------- */

  function rangeHandles(el) {
    return {
      start: el.querySelector('[data-handle="start"]'),
      end: el.querySelector('[data-handle="end"]')
    };
  }

  var readers = {
    select: function (el) { return el.value; },
    multiselect: function (el) {
      return Array.prototype.filter.call(el.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
    },
    radio: function (el) {
      var checked = el.querySelector('input[type="radio"]:checked');
      return checked ? checked.value : null;
    },
    tabs: function (el) {
      var tab = el.querySelector('[role="tab"][aria-selected="true"]');
      return tab ? tab.getAttribute('data-value') : null;
    },
    text: function (el) { return el.value; },
    search: function (el) { return el.value; },
    textarea: function (el) { return el.value; },
    number: function (el) { return numberOrNull(el.value); },
    date: function (el) { return el.value || null; },
    slider: function (el) { return Number(el.value); },
    range: function (el) {
      var h = rangeHandles(el);
      return { start: Number(h.start.value), end: Number(h.end.value) };
    },
    toggle: function (el) { return el.checked; },
    checkbox: function (el) { return el.checked; }
  };

  function collectState(root) {
    var values = {};
    root.querySelectorAll('.pywry-toolbar [data-kind][id]').forEach(function (el) {
      var read = readers[kindOf(el)];
      if (read) { values[el.id] = read(el); }
    });
    return values;
  }

  /* ---- user actions -> Python -------------------------------------------------- */

  function flushTyped(el) {
    clearTimeout(timers[el.id]);
    delete timers[el.id];
    var value = el.value;
    if (lastSent[el.id] === value) { return; }
    lastSent[el.id] = value;
    send(el, { value: value });
  }

  function commitSecret(el) {
    if (el.value === '' || el.type !== 'password') { return; }
    var value = el.value;
    el.value = '';
    markSecret(el, true);
    send(el, { value: value });
  }

  function markSecret(el, hasValue) {
    el.setAttribute('data-has-value', hasValue ? 'true' : 'false');
    el.placeholder = hasValue ? '••••••••' : (el.getAttribute('data-placeholder') || '');
  }

  function hideSecret(el) {
    el.type = 'password';
    el.value = '';
    var button = document.querySelector('[data-secret-for="' + el.id + '"][data-secret-action="reveal"]');
    if (button) { button.textContent = 'Show'; }
  }

  // A component by id within one widget (ids repeat when two widgets on a composed page
  // have the same toolbar).
  function find(root, id) {
    return id ? root.querySelector('#' + CSS.escape(id)) : null;
  }

  function askSecret(button) {
    var widget = api.widgetOf(button);
    var el = find(widget.root, button.getAttribute('data-secret-for'));
    if (!el || el.disabled) { return; }
    var action = button.getAttribute('data-secret-action');
    if (action === 'reveal' && el.type === 'text') { hideSecret(el); return; }
    var requestId = (widget.label || 'w') + '-' + Date.now().toString(36) + '-' + nextRequest++;
    secretRequests[requestId] = { action: action, el: el, button: button };
    widget.emit('toolbar:secret-' + action, { componentId: el.id, requestId: requestId });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
    return Promise.resolve();
  }

  function secretValue(d) {
    var pending = secretRequests[d.requestId];
    if (!pending) { return; }          // another page asked
    delete secretRequests[d.requestId];
    var value = toText(d.value);
    if (pending.action === 'reveal') {
      pending.el.type = 'text';
      pending.el.value = value;
      pending.button.textContent = 'Hide';
    } else {
      copyText(value).then(function () {
        pending.button.textContent = 'Copied';
        pending.button.setAttribute('data-copied', 'true');
        setTimeout(function () { pending.button.textContent = 'Copy'; }, 1500);
      }, function (err) { console.warn('[pywry] copy failed', err); });
    }
  }

  document.addEventListener('click', function (ev) {
    var target = ev.target;
    if (!target.closest) { return; }
    var action = target.closest('[data-secret-action]');
    if (action) { askSecret(action); return; }
    var toggle = target.closest('.pywry-toolbar-toggle');
    if (toggle) { toggleToolbar(toggle); return; }
    var tab = target.closest('[role="tab"]');
    var tabs = tab && owner(tab, 'tabs');
    if (tabs) {
      if (tab.disabled || tab.getAttribute('aria-selected') === 'true') { return; }
      selectTab(tabs, tab.getAttribute('data-value'));
      send(tabs, { value: tab.getAttribute('data-value') });
      return;
    }
    var ticker = target.closest('.pywry-ticker');
    var marquee = ticker && owner(ticker.parentNode, 'marquee');
    if (marquee) {
      send(marquee, {
        ticker: ticker.getAttribute('data-label'),
        value: ticker.querySelector('.pywry-ticker-value').textContent
      });
      return;
    }
    var button = owner(target, 'button');
    if (button && !button.disabled) { send(button, payloadOf(button)); }
  });

  document.addEventListener('keydown', function (ev) {
    var el = ev.target;
    var kind = kindOf(el);
    if (ev.key === 'Enter' && (kind === 'text' || kind === 'search')) { flushTyped(el); }
    else if (ev.key === 'Escape' && kind === 'search') { el.value = ''; flushTyped(el); }
    else if (ev.key === 'Enter' && kind === 'secret') { commitSecret(el); }
    else if ((ev.key === 'Enter' || ev.key === ' ') && el.classList &&
             el.classList.contains('pywry-ticker')) { ev.preventDefault(); el.click(); }
  });

  document.addEventListener('input', function (ev) {
    var el = ev.target;
    var kind = kindOf(el);
    if (kind === 'text' || kind === 'search' || kind === 'textarea') {
      clearTimeout(timers[el.id]);
      var wait = Number(el.getAttribute('data-debounce') || 300);
      timers[el.id] = setTimeout(function () { flushTyped(el); }, wait);
    } else if (kind === 'slider') {
      showSlider(el);
    } else if (el.hasAttribute && el.hasAttribute('data-handle')) {
      keepOrdered(owner(el.parentNode, 'range'), el);
    } else if (el.hasAttribute && el.hasAttribute('data-filter-for')) {
      filterOptions(document.getElementById(el.getAttribute('data-filter-for')), el.value);
    }
  });

  document.addEventListener('change', function (ev) {
    var el = ev.target;
    var kind = kindOf(el);
    if (kind === 'select') { send(el, { value: el.value }); }
    else if (kind === 'date') { send(el, { value: el.value || null }); }
    else if (kind === 'multiselect') { send(el, { values: readers.multiselect(el) }); }
    else if (kind === 'number') { send(el, { value: numberOrNull(el.value) }); }
    else if (kind === 'slider') { send(el, { value: Number(el.value) }); }
    else if (kind === 'toggle' || kind === 'checkbox') { send(el, { value: el.checked }); }
    else if (kind === 'text' || kind === 'search' || kind === 'textarea') { flushTyped(el); }
    else if (kind === 'secret') { commitSecret(el); }
    else if (el.type === 'radio') {
      var group = owner(el.parentNode, 'radio');
      if (group) { send(group, { value: el.value }); }
    } else if (el.hasAttribute && el.hasAttribute('data-handle')) {
      var range = owner(el.parentNode, 'range');
      if (range) { send(range, readers.range(range)); }
    }
  });

  function filterOptions(select, query) {
    if (!select) { return; }
    var needle = query.trim().toLowerCase();
    Array.prototype.forEach.call(select.options, function (o) {
      o.hidden = needle !== '' && o.textContent.toLowerCase().indexOf(needle) < 0;
    });
  }

  function showSlider(el) {
    var out = el.parentNode.querySelector('.pywry-slider-value');
    if (out) { out.textContent = el.value; }
  }

  function keepOrdered(range, moved) {
    if (!range) { return; }
    var h = rangeHandles(range);
    if (Number(h.start.value) > Number(h.end.value)) {
      if (moved === h.start) { h.start.value = h.end.value; } else { h.end.value = h.start.value; }
    }
    var out = range.querySelector('.pywry-range-value');
    if (out) { out.textContent = h.start.value + ' to ' + h.end.value; }
  }

  function selectTab(tabs, value) {
    tabs.querySelectorAll('[role="tab"]').forEach(function (t) {
      t.setAttribute('aria-selected', t.getAttribute('data-value') === String(value) ? 'true' : 'false');
    });
  }

  /* ---- Python -> page ------------------------------------------------------------ */

  function makeOption(opt, selected) {
    var node = document.createElement('option');
    node.value = toText(opt.value);
    node.textContent = toText(opt.label);
    node.selected = selected;
    return node;
  }

  function rebuild(el, options) {
    var kind = kindOf(el);
    el.textContent = '';
    options.forEach(function (opt) {
      if (kind === 'select' || kind === 'multiselect') {
        el.appendChild(makeOption(opt, false));
      } else if (kind === 'radio') {
        var label = document.createElement('label');
        label.className = 'pywry-radio';
        var input = document.createElement('input');
        input.type = 'radio';
        input.name = el.id;
        input.value = toText(opt.value);
        var span = document.createElement('span');
        span.textContent = toText(opt.label);
        label.appendChild(input);
        label.appendChild(span);
        el.appendChild(label);
      } else if (kind === 'tabs') {
        var tab = document.createElement('button');
        tab.type = 'button';
        tab.className = 'pywry-tab';
        tab.setAttribute('role', 'tab');
        tab.setAttribute('data-value', toText(opt.value));
        tab.setAttribute('aria-selected', 'false');
        tab.textContent = toText(opt.label);
        el.appendChild(tab);
      }
    });
  }

  var writers = {
    select: function (el, v) { el.value = toText(v); },
    multiselect: function (el, v) {
      var chosen = (Array.isArray(v) ? v : [v]).map(toText);
      Array.prototype.forEach.call(el.options, function (o) { o.selected = chosen.indexOf(o.value) >= 0; });
    },
    radio: function (el, v) {
      el.querySelectorAll('input[type="radio"]').forEach(function (r) { r.checked = r.value === toText(v); });
    },
    tabs: function (el, v) { selectTab(el, v); },
    text: function (el, v) { el.value = toText(v); lastSent[el.id] = el.value; },
    number: function (el, v) { el.value = toText(v); },
    date: function (el, v) { el.value = toText(v); },
    slider: function (el, v) { el.value = toText(v); showSlider(el); },
    range: function (el, v) {
      var h = rangeHandles(el);
      var start = Array.isArray(v) ? v[0] : v.start;
      var end = Array.isArray(v) ? v[1] : v.end;
      if (start !== undefined && start !== null) { h.start.value = toText(start); }
      if (end !== undefined && end !== null) { h.end.value = toText(end); }
      keepOrdered(el, h.end);
    },
    toggle: function (el, v) { el.checked = Boolean(v); },
    div: function (el, v) {
      var text = el.querySelector('.pywry-div-content');
      if (text) { text.textContent = toText(v); text.hidden = false; }
    },
    ticker: function (el, v, change) {
      document.querySelectorAll('[data-ticker="' + el.id + '"]').forEach(function (copy) {
        if (v !== undefined && v !== null) { copy.querySelector('.pywry-ticker-value').textContent = toText(v); }
        if (typeof change.label === 'string') { copy.querySelector('.pywry-ticker-label').textContent = change.label; }
        if (change.tone) { copy.className = 'pywry-ticker pywry-tone-' + change.tone; }
      });
    }
  };
  writers.search = writers.text;
  writers.textarea = writers.text;
  writers.checkbox = writers.toggle;

  function setLabel(el, text) {
    var kind = kindOf(el);
    if (kind === 'button') { el.textContent = text; return; }
    if (kind === 'ticker') { return; }
    if (kind === 'toggle' || kind === 'checkbox') {
      var spans = el.parentNode.querySelectorAll('span');
      spans[spans.length - 1].textContent = text;
      return;
    }
    var label = document.getElementById(el.id + '-label');
    if (label) { label.textContent = text; } else { el.setAttribute('aria-label', text); }
  }

  function setDisabled(el, disabled) {
    el.disabled = disabled;
    el.toggleAttribute('disabled', disabled);
    el.setAttribute('aria-disabled', disabled ? 'true' : 'false');
    el.querySelectorAll('input, button, select, textarea').forEach(function (inner) { inner.disabled = disabled; });
    document.querySelectorAll('[data-secret-for="' + el.id + '"]').forEach(function (b) { b.disabled = disabled; });
  }

  function apply(change, root) {
    var el = find(root, change.componentId);
    if (!el) {
      console.warn('[pywry] toolbar:set-value: no component ' + change.componentId);
      return;
    }
    var kind = kindOf(el);
    if (Array.isArray(change.options) && (kind === 'select' || kind === 'multiselect' || kind === 'radio' || kind === 'tabs')) {
      rebuild(el, change.options);
    }
    if (kind === 'secret') {
      if (typeof change.hasValue === 'boolean') { hideSecret(el); markSecret(el, change.hasValue); }
    } else if (kind === 'button') {
      if (change.data && typeof change.data === 'object') { el.setAttribute('data-payload', JSON.stringify(change.data)); }
    } else if (change.value !== undefined && (change.value !== null || kind === 'number' || kind === 'date' || kind === 'radio')) {
      if (writers[kind]) { writers[kind](el, change.value, change); }
    } else if (kind === 'ticker') {
      writers.ticker(el, null, change);
    }
    if (typeof change.label === 'string') { setLabel(el, change.label); }
    if (typeof change.disabled === 'boolean') { setDisabled(el, change.disabled); }
  }

  // Python's changes reach the components of the widget they are sent for.
  api.mount(function (widget, root) {
    widget.on('toolbar:secret-value', secretValue);
    widget.on('toolbar:set-value', function (d) { apply(d, root); });
    widget.on('toolbar:set-values', function (d) {
      var values = d.values || {};
      Object.keys(values).forEach(function (id) {
        var el = find(root, id);
        var v = values[id];
        if (el && kindOf(el) === 'secret' && v && typeof v === 'object') {
          apply({ componentId: id, hasValue: Boolean(v.hasValue) }, root);
        } else {
          apply({ componentId: id, value: v }, root);
        }
      });
    });
    widget.on('toolbar:request-state', function (d) {
      widget.emit('toolbar:state', { requestId: d.requestId, values: collectState(root) });
    });
  });

  /* ---- collapsible and resizable toolbars ---------------------------------------------- */

  function toggleToolbar(button) {
    var bar = button.closest('.pywry-toolbar');
    var collapsed = bar.classList.toggle('pywry-collapsed');
    button.setAttribute('aria-expanded', collapsed ? 'false' : 'true');
  }

  document.addEventListener('pointerdown', function (ev) {
    var handle = ev.target.closest && ev.target.closest('.pywry-resize-handle');
    if (!handle) { return; }
    ev.preventDefault();
    var bar = handle.closest('.pywry-toolbar');
    var position = bar.getAttribute('data-position');
    var horizontal = handle.getAttribute('data-resize') === 'x';
    var sign = (position === 'right' || position === 'bottom' || position === 'footer') ? -1 : 1;
    var rect = bar.getBoundingClientRect();
    var start = horizontal ? ev.clientX : ev.clientY;
    var size = horizontal ? rect.width : rect.height;
    handle.setPointerCapture(ev.pointerId);
    function move(e) {
      var next = Math.max(24, size + sign * ((horizontal ? e.clientX : e.clientY) - start));
      bar.style.flex = '0 0 auto';
      if (horizontal) { bar.style.width = next + 'px'; } else { bar.style.height = next + 'px'; }
    }
    function stop() {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', stop);
      handle.removeEventListener('pointercancel', stop);
    }
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', stop);
    handle.addEventListener('pointercancel', stop);
  });

  document.querySelectorAll('[data-kind="text"], [data-kind="search"], [data-kind="textarea"]').forEach(function (el) {
    lastSent[el.id] = el.value;
  });
})();
