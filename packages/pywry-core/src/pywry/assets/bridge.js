/* PyWry browser bridge: one WebSocket per page, events both ways.
 *
 * window.pywry.emit(event, data)   send an event to the widget's Python callbacks
 * window.pywry.on(event, handler)  run handler(data, event) when Python emits event
 * window.pywry.off(event, handler)
 * window.pywry.fetchData(digest)  Promise of the widget's data document (chart, grid)
 *
 * Reconnects with exponential back-off; events sent while away are kept and resent
 * (the server runs each once), events missed while away are replayed by sequence
 * number: the widget's events (seq) and this page's own (vseq: what callbacks sent
 * to this viewer). The viewer id the server gives in the first welcome lives as long
 * as the page. Protocol: docs/protocol.md.
 */
(function () {
  'use strict';

  // The page's settings are a JSON data element, not an inline script (CSP script-src 'self').
  var configElement = document.getElementById('pywry-config');
  var config = window.__PYWRY__ = configElement ? JSON.parse(configElement.textContent) : (window.__PYWRY__ || {});
  var handlers = {};
  var unacked = [];          // frames sent or queued, awaiting "ack"
  var nextId = 1;
  var lastSeq = null;        // newest widget event seen (null until welcome)
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
    return scheme + window.location.host + config.wsPath + '?client=' + clientId;
  }

  function setState(state) {
    api.state = state;
    document.documentElement.setAttribute('data-pywry-state', state);
  }

  function dispatch(event, data) {
    var list = (handlers[event] || []).slice();
    list.forEach(function (fn) {
      try {
        fn(data, event);
      } catch (err) {
        console.error('[pywry] handler for ' + event + ' failed', err);
      }
    });
  }

  function sendFrame(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
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
      if (msg.reloadOnRestart && api.workerId && msg.workerId !== api.workerId) {
        // PYWRY_SERVER__RELOAD: the server restarted with new code; show it.
        window.location.reload();
        return;
      }
      attempt = 0;
      if (lastSeq === null) lastSeq = msg.seq;
      if (msg.viewer && msg.viewer !== viewerId) {
        viewerId = msg.viewer;
        lastVseq = msg.viewerSeq;
      }
      api.workerId = msg.workerId;
      api.viewerId = viewerId;
      setState('open');
      unacked.forEach(sendFrame);
      dispatch('pywry:connected', { workerId: msg.workerId });
    } else if (msg.type === 'event') {
      if (typeof msg.seq === 'number') {
        if (lastSeq !== null && msg.seq <= lastSeq) return;
        lastSeq = msg.seq;
      } else if (typeof msg.vseq === 'number') {
        if (lastVseq !== null && msg.vseq <= lastVseq) return;
        lastVseq = msg.vseq;
        if (msg.label && msg.label !== config.label) return;  // another widget's
      }
      dispatch(msg.event, msg.data);
    } else if (msg.type === 'reset') {
      if (msg.reload) {  // missed more than the server replays: start afresh
        window.location.reload();
        return;
      }
      // A server event log restarted (it lost its data or expired): count again.
      if (typeof msg.vseq === 'number') lastVseq = msg.vseq;
      else lastSeq = msg.seq;
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
      dispatch('pywry:error', msg);
    }
  }

  function resendLater(id) {
    // Not taken (the state store was unreachable, or over the event rate): keep the
    // frame and try again.
    setTimeout(function () {
      unacked.filter(function (f) { return f.id === id; }).forEach(sendFrame);
    }, 1000 + Math.random() * 1000);
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
      socket.send(JSON.stringify({
        type: 'hello', lastSeq: lastSeq, viewer: viewerId, viewerSeq: lastVseq
      }));
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

  var api = {
    label: config.label,
    state: 'connecting',
    workerId: null,
    viewerId: null,
    emit: function (event, data) {
      if (typeof event !== 'string' || event.indexOf(':') < 1) {
        throw new Error('pywry.emit: event must look like "namespace:name", got ' + event);
      }
      var frame = { type: 'event', id: clientId + '-' + nextId++, event: event, data: data === undefined ? null : data };
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
    pending: function () { return unacked.length; },
    fetchData: function (digest) {
      var url = config.dataPath + (digest ? '?v=' + encodeURIComponent(digest) : '');
      return fetch(url, { credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) throw new Error('widget data: HTTP ' + r.status);
        return r.json();
      });
    }
  };
  window.pywry = api;

  /* ---- reserved events ------------------------------------------------------ */

  function toast(message, type, title, duration, replyEvent) {
    var box = document.getElementById('pywry-toasts');
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
        if (replyEvent) api.emit(replyEvent, { confirmed: choice[1], message: message });
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

  api.on('pywry:download', function (d) {
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
  });

  api.on('pywry:alert', function (d) {
    toast(d.message, d.type, d.title, d.duration, d.replyEvent);
  });

  api.on('pywry:set-content', function (d) {
    var target = document.querySelector(d.selector || '#pywry-body');
    if (target) target.innerHTML = d.html;
  });

  api.on('pywry:set-style', function (d) {
    document.querySelectorAll(d.selector || '#pywry-body').forEach(function (el) {
      Object.keys(d.styles || {}).forEach(function (prop) { el.style.setProperty(prop, d.styles[prop]); });
    });
  });

  api.on('pywry:inject-css', function (d) {
    var id = 'pywry-css-' + d.id;
    var style = document.getElementById(id) || document.head.appendChild(document.createElement('style'));
    style.id = id;
    style.textContent = d.css;
  });

  api.on('pywry:remove-css', function (d) {
    var style = document.getElementById('pywry-css-' + d.id);
    if (style) style.remove();
  });

  api.on('pywry:navigate', function (d) {
    var url = new URL(d.url, window.location.href);
    if (url.protocol === 'http:' || url.protocol === 'https:') window.location.assign(url.href);
  });

  // pywry:update-theme is handled by theme.js (light/dark/system).

  api.on('pywry:widget-unavailable', function (d) {
    showUnavailable('This widget is no longer available' + (d && d.reason ? ': ' + d.reason : '.'));
  });

  connect();
})();
