/* PyWry browser bridge: one WebSocket per page, events both ways.
 *
 * A page shows one widget (its own page, /widget/{label}) or several (a composed page:
 * get_page_html(), or head_html() + embed_html() in the app's own template). Each widget
 * has its own API object; window.pywry is the first widget's, and also the page's:
 *
 * window.pywry.emit(event, data)   send an event to the widget's Python callbacks
 * window.pywry.on(event, handler)  run handler(data, event) when Python emits event
 * window.pywry.off(event, handler)
 * window.pywry.fetchData(digest)  Promise of the widget's data document (chart, grid)
 * window.pywry.widget(label)      the API of another widget on the page
 * window.pywry.widgetOf(element)  the API of the widget an element belongs to
 * window.pywry.mount(fn)          fn(api, root, config) for every widget on the page
 *                                 (how toolbar.js, plotly-widget.js, ... attach)
 *
 * Reconnects with exponential back-off; events sent while away are kept and resent
 * (the server runs each once), events missed while away are replayed by sequence
 * number: each widget's events (seq; on a composed page per widget, by label) and this
 * page's own (vseq: what callbacks sent to this viewer). The viewer id the server
 * gives in the first welcome lives as long as the page. Protocol: docs/protocol.md.
 */
(function () {
  'use strict';

  // The page's settings are a JSON data element, not an inline script (CSP script-src 'self').
  var configElement = document.getElementById('pywry-config');
  var config = window.__PYWRY__ = configElement ? JSON.parse(configElement.textContent) : (window.__PYWRY__ || {});
  var composed = !!config.page;  // several widgets over one socket, frames name their widget
  var widgets = {};          // label -> the widget's API
  var order = [];            // the widgets' APIs, in page order
  var mounts = [];           // functions run for every widget (mount())
  var unacked = [];          // frames sent or queued, awaiting "ack"
  var nextId = 1;
  var lastSeqs = {};         // label -> newest widget event seen (null until welcome)
  var viewerId = null;       // this page load, as the server knows it
  var lastVseq = null;       // newest event of this viewer seen
  var socket = null;
  var attempt = 0;
  var stopped = false;
  var pingTimer = null;
  var clientId = randomId();
  var refusal = null;        // the code of the last error frame before a close

  function randomId() {
    var bytes = new Uint8Array(8);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ('0' + b.toString(16)).slice(-2);
    }).join('');
  }

  function socketUrl() {
    var scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://';
    var query = '?client=' + clientId;
    if (composed) {
      query += '&widgets=' + encodeURIComponent(order.map(function (w) { return w.label; }).join(','));
    }
    return scheme + window.location.host + config.wsPath + query;
  }

  function setState(state) {
    main.state = state;
    document.documentElement.setAttribute('data-pywry-state', state);
  }

  function sendFrame(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  /* ---- one API per widget ---------------------------------------------------- */

  function makeWidget(settings, root) {
    var handlers = {};
    var widget = {
      label: settings.label,
      kind: settings.kind,
      root: root,
      config: settings,
      emit: function (event, data) {
        if (typeof event !== 'string' || event.indexOf(':') < 1) {
          throw new Error('pywry.emit: event must look like "namespace:name", got ' + event);
        }
        var frame = { type: 'event', id: clientId + '-' + nextId++, event: event, data: data === undefined ? null : data };
        if (composed) frame.label = settings.label;
        unacked.push(frame);
        sendFrame(frame);
      },
      on: function (event, fn) {
        (handlers[event] = handlers[event] || []).push(fn);
        return fn;
      },
      off: function (event, fn) {
        handlers[event] = (handlers[event] || []).filter(function (h) { return h !== fn; });
      },
      fetchData: function (digest) {
        var url = settings.dataPath + (digest ? '?v=' + encodeURIComponent(digest) : '');
        return fetch(url, { credentials: 'same-origin' }).then(function (r) {
          if (!r.ok) throw new Error('widget data: HTTP ' + r.status);
          return r.json();
        });
      },
      dispatch: function (event, data) {
        (handlers[event] || []).slice().forEach(function (fn) {
          try {
            fn(data, event);
          } catch (err) {
            console.error('[pywry] handler for ' + event + ' failed', err);
          }
        });
      }
    };
    widgets[settings.label] = widget;
    order.push(widget);
    lastSeqs[settings.label] = null;
    return widget;
  }

  function findWidgets() {
    if (!composed) {
      makeWidget(config, document);
      return;
    }
    document.querySelectorAll('.pywry-widget[data-pywry-label]').forEach(function (root) {
      var element = root.querySelector('script.pywry-widget-config');
      if (!element) return;
      var settings = JSON.parse(element.textContent);
      if (!widgets[settings.label]) makeWidget(settings, root);
    });
  }

  function dispatchAll(event, data) {
    order.forEach(function (w) { w.dispatch(event, data); });
  }

  findWidgets();
  var main = order[0] || makeDetached();

  function makeDetached() {  // a composed page's head without any widget in the body
    stopped = true;
    return { label: null, root: document, config: config, emit: function () {}, on: function () {},
      off: function () {}, dispatch: function () {} };
  }

  function targetOf(msg) {
    if (!composed) return main;
    var label = msg.label || (msg.data && msg.data.label);
    return label && widgets[label] ? widgets[label] : null;
  }

  function onMessage(raw) {
    var msg;
    try {
      msg = JSON.parse(raw.data);
    } catch (err) {
      console.warn('[pywry] ignored a malformed frame', raw.data);
      return;
    }
    if (msg.type === 'welcome') {
      if (msg.reloadOnRestart && main.workerId && msg.workerId !== main.workerId) {
        // PYWRY_SERVER__RELOAD: the server restarted with new code; show it.
        window.location.reload();
        return;
      }
      attempt = 0;
      if (composed) {
        Object.keys(msg.seqs || {}).forEach(function (label) {
          if (label in lastSeqs && lastSeqs[label] === null) lastSeqs[label] = msg.seqs[label];
        });
      } else if (lastSeqs[main.label] === null) {
        lastSeqs[main.label] = msg.seq;
      }
      if (msg.viewer && msg.viewer !== viewerId) {
        viewerId = msg.viewer;
        lastVseq = msg.viewerSeq;
      }
      main.workerId = msg.workerId;
      main.viewerId = viewerId;
      setState('open');
      unacked.forEach(sendFrame);
      dispatchAll('pywry:connected', { workerId: msg.workerId });
    } else if (msg.type === 'event') {
      var target = targetOf(msg);
      if (typeof msg.seq === 'number') {
        if (!target) return;
        var seen = lastSeqs[target.label];
        if (seen !== null && msg.seq <= seen) return;
        lastSeqs[target.label] = msg.seq;
      } else if (typeof msg.vseq === 'number') {
        if (lastVseq !== null && msg.vseq <= lastVseq) return;
        lastVseq = msg.vseq;
        if (!composed && msg.label && msg.label !== config.label) return;  // another widget's
      }
      if (target) target.dispatch(msg.event, msg.data);
    } else if (msg.type === 'reset') {
      if (msg.reload) {  // missed more than the server replays: start afresh
        window.location.reload();
        return;
      }
      // A server event log restarted (it lost its data or expired): count again.
      if (typeof msg.vseq === 'number') lastVseq = msg.vseq;
      else if (composed) { if (msg.label in lastSeqs) lastSeqs[msg.label] = msg.seq; }
      else lastSeqs[main.label] = msg.seq;
    } else if (msg.type === 'ack') {
      unacked = unacked.filter(function (f) { return f.id !== msg.id; });
    } else if (msg.type === 'error') {
      console.warn('[pywry] server error ' + msg.code + ': ' + msg.message);
      if (msg.id && (msg.code === 'unavailable' || msg.code === 'rate_limited')) {
        resendLater(msg.id);
      } else if (msg.id) {
        unacked = unacked.filter(function (f) { return f.id !== msg.id; });
      }
      refusal = msg.code;
      dispatchAll('pywry:error', msg);
    }
  }

  function resendLater(id) {
    // Not taken (the state store was unreachable, or over the event rate): keep the
    // frame and try again.
    setTimeout(function () {
      unacked.filter(function (f) { return f.id === id; }).forEach(sendFrame);
    }, 1000 + Math.random() * 1000);
  }

  function hello() {
    var frame = { type: 'hello', viewer: viewerId, viewerSeq: lastVseq };
    if (composed) frame.lastSeqs = lastSeqs;
    else frame.lastSeq = lastSeqs[main.label];
    return frame;
  }

  function connect() {
    if (stopped || !config.wsPath) return;
    setState('connecting');
    try {
      socket = new WebSocket(socketUrl());
    } catch (err) {  // refused before it started (a page policy): try again later
      console.warn('[pywry] could not open the socket', err);
      socket = null;
      retry();
      return;
    }
    socket.onopen = function () {
      socket.send(JSON.stringify(hello()));
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { sendFrame({ type: 'ping' }); }, 25000);
    };
    socket.onmessage = onMessage;
    socket.onclose = function (ev) {
      clearInterval(pingTimer);
      socket = null;
      if (ev.code === 4401) {
        // No valid session (never had one, logged out, or it expired): retrying won't help.
        stopped = true;
        setState('closed');
        showUnavailable('Your session has expired. Reload the page or log in again.');
        return;
      }
      if (ev.code === 4404 || ev.code === 4403) {
        stopped = true;
        setState('closed');
        if (ev.code === 4403 || !document.getElementById('pywry-unavailable')) {
          showUnavailable(ev.code === 4404 ? 'This widget is no longer available.'
            : refusal === 'forbidden_viewer' ? 'This page has expired. Reload the page.'
            : 'Access denied.');
        }
        return;
      }
      retry();
    };
  }

  function retry() {
    setState('reconnecting');
    var delay = Math.min(10000, 250 * Math.pow(2, attempt)) * (0.75 + Math.random() / 2);
    attempt += 1;
    setTimeout(connect, delay);
  }

  /* ---- the page's API: the first widget's, with what is the page's ------------- */

  main.state = 'connecting';
  main.workerId = null;
  main.viewerId = null;
  main.widgets = order;
  main.pending = function () { return unacked.length; };
  main.widget = function (label) { return widgets[label] || null; };
  main.widgetOf = function (element) {
    var root = element && element.closest ? element.closest('.pywry-widget[data-pywry-label]') : null;
    return (root && widgets[root.getAttribute('data-pywry-label')]) || main;
  };
  main.mount = function (fn) {
    mounts.push(fn);
    order.forEach(function (w) { fn(w, w.root, w.config); });
  };
  window.pywry = main;

  /* ---- reserved events ------------------------------------------------------ */

  function toastBox() {
    var box = document.getElementById('pywry-toasts');
    if (!box && document.body) {  // an app's own template has none: add it
      box = document.createElement('div');
      box.id = 'pywry-toasts';
      box.className = 'pywry-toasts';
      box.setAttribute('aria-live', 'polite');
      document.body.appendChild(box);
    }
    return box;
  }

  function toast(widget, message, type, title, duration, replyEvent) {
    var box = toastBox();
    if (!box) return;
    var el = document.createElement('div');
    el.className = 'pywry-toast pywry-toast--' + (type || 'info');
    el.setAttribute('role', type === 'error' || type === 'confirm' ? 'alert' : 'status');
    if (title) {
      var strong = document.createElement('strong');
      strong.textContent = title;
      el.appendChild(strong);
    }
    var text = document.createElement('span');
    text.textContent = message;
    el.appendChild(text);
    box.appendChild(el);
    if (type !== 'confirm') {
      setTimeout(function () { el.remove(); }, duration || 4000);
      return;
    }
    // A confirm stays until answered; the answer goes to Python as replyEvent.
    var actions = document.createElement('div');
    actions.className = 'pywry-toast-actions';
    [['OK', true], ['Cancel', false]].forEach(function (choice) {
      var button = document.createElement('button');
      button.type = 'button';
      button.textContent = choice[0];
      button.addEventListener('click', function () {
        el.remove();
        if (replyEvent) widget.emit(replyEvent, { confirmed: choice[1], message: message });
      });
      actions.appendChild(button);
    });
    el.appendChild(actions);
  }

  function showUnavailable(reason) {
    var banner = document.getElementById('pywry-unavailable');
    if (!banner) {
      banner = document.createElement('div');
      banner.id = 'pywry-unavailable';
      banner.className = 'pywry-banner';
      document.body.insertBefore(banner, document.body.firstChild);
    }
    banner.textContent = reason;
  }

  function base64ToBytes(text) {
    var bin = window.atob(text);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }

  function download(d) {
    if (d.url) {  // a file stored by widget.download(): the browser fetches it itself
      var anchor = document.createElement('a');
      anchor.href = d.url;
      anchor.download = d.filename || '';
      anchor.rel = 'noopener';
      document.body.appendChild(anchor);
      anchor.click();
      setTimeout(function () { anchor.remove(); }, 1000);
      return;
    }
    var body = d.encoding === 'base64' ? base64ToBytes(d.content) : d.content;
    var blob = new Blob([body], { type: d.mimeType || 'application/octet-stream' });
    var link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = d.filename || 'download';
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  // What a widget's events change is looked for inside that widget (the whole page,
  // for a widget's own page); the default target is the widget's body.
  main.mount(function (widget, root) {
    var name = widget.label ? ' (' + widget.label + ')' : '';
    widget.on('pywry:download', download);
    widget.on('pywry:alert', function (d) {
      toast(widget, d.message, d.type, d.title, d.duration, d.replyEvent);
    });
    widget.on('pywry:set-content', function (d) {
      var target = root.querySelector(d.selector || '.pywry-body');
      if (target) target.innerHTML = d.html;
    });
    widget.on('pywry:set-style', function (d) {
      root.querySelectorAll(d.selector || '.pywry-body').forEach(function (el) {
        Object.keys(d.styles || {}).forEach(function (prop) { el.style.setProperty(prop, d.styles[prop]); });
      });
    });
    widget.on('pywry:inject-css', function (d) {
      var id = 'pywry-css-' + d.id;
      var style = document.getElementById(id) || document.head.appendChild(document.createElement('style'));
      style.id = id;
      style.textContent = d.css;
    });
    widget.on('pywry:remove-css', function (d) {
      var style = document.getElementById('pywry-css-' + d.id);
      if (style) style.remove();
    });
    widget.on('pywry:navigate', function (d) {
      var url = new URL(d.url, window.location.href);
      if (url.protocol === 'http:' || url.protocol === 'https:') window.location.assign(url.href);
    });
    // pywry:update-theme is handled by theme.js (light/dark/system).
    widget.on('pywry:widget-unavailable', function (d) {
      showUnavailable('This widget' + (composed ? name : '') + ' is no longer available' +
        (d && d.reason ? ': ' + d.reason : '.'));
    });
  });

  connect();
})();
