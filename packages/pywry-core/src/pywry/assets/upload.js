/* PyWry uploads: a FileInput's files go to the server over HTTP, in pieces.
 *
 * POST {uploadPath}                    {viewer, componentId, files: [{name, size, type}]}
 *                                      -> {token, pieceBytes, files, rejected}
 * PUT  {uploadPath}/{token}/{file}/{piece}   one piece (1 MiB, the last shorter), in order
 * POST {uploadPath}/{token}/done       the server checks every file and runs the event once
 * Each file gets a row with a <progress> bar and a status text; a refused file (too large,
 * wrong type) shows the server's message and is left out; the others go on.
 */
(function () {
  'use strict';
  var api = window.pywry;
  if (!api) return;

  function answer(resp) {
    return resp.json().catch(function () { return {}; }).then(function (body) {
      if (!resp.ok) {
        var err = new Error(body.detail || ('HTTP ' + resp.status));
        err.body = body;
        throw err;
      }
      return body;
    });
  }

  function row(box, file) {
    var el = document.createElement('div');
    el.className = 'pywry-upload';
    var name = document.createElement('span');
    name.className = 'pywry-upload__name';
    name.textContent = file.name;
    var meter = document.createElement('progress');
    meter.className = 'pywry-upload__bar';
    meter.max = 1;
    meter.value = 0;
    var text = document.createElement('span');
    text.className = 'pywry-upload__text';
    text.textContent = 'Waiting';
    el.appendChild(name); el.appendChild(meter); el.appendChild(text);
    box.appendChild(el);
    return { el: el, meter: meter, text: text, failed: false };
  }

  function fail(r, message) {
    r.failed = true;
    r.el.classList.add('pywry-upload--error');
    r.el.setAttribute('data-state', 'error');
    r.text.textContent = message;
  }

  function sendFile(uploadPath, token, fileNo, file, r, pieceBytes) {
    var count = Math.ceil(file.size / pieceBytes);
    var piece = 0;
    function next() {
      if (piece >= count) {
        r.meter.value = 1;
        r.text.textContent = '100%';
        return Promise.resolve();
      }
      var url = uploadPath + '/' + token + '/' + fileNo + '/' + piece;
      var body = file.slice(piece * pieceBytes, (piece + 1) * pieceBytes);
      return fetch(url, { method: 'PUT', credentials: 'same-origin', body: body })
        .then(answer).then(function () {
          piece += 1;
          var sent = Math.min(file.size, piece * pieceBytes);
          r.meter.value = file.size ? sent / file.size : 1;
          r.text.textContent = Math.floor(100 * r.meter.value) + '%';
          return next();
        });
    }
    r.text.textContent = '0%';
    return next();
  }

  function upload(input) {
    var widget = api.widgetOf(input);  // the widget whose toolbar holds the input
    var uploadPath = widget.config.uploadPath;
    if (!uploadPath) return;
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    var box = document.getElementById(input.id + '-status');
    box.textContent = '';
    box.setAttribute('data-state', 'uploading');
    var rows = files.map(function (f) { return row(box, f); });
    if (!api.viewerId) {
      rows.forEach(function (r) { fail(r, 'Not connected yet; try again in a moment.'); });
      box.setAttribute('data-state', 'error');
      return;
    }
    input.disabled = true;
    var plan = null;
    var request = {
      viewer: api.viewerId,
      componentId: input.id,
      files: files.map(function (f) { return { name: f.name, size: f.size, type: f.type }; })
    };
    fetch(uploadPath, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request)
    }).then(answer).then(function (body) {
      plan = body;
      (body.rejected || []).forEach(function (x) { fail(rows[x.index], x.detail); });
      var chain = Promise.resolve();
      body.files.forEach(function (entry, fileNo) {
        chain = chain.then(function () {
          return sendFile(uploadPath, body.token, fileNo, files[entry.index], rows[entry.index], body.pieceBytes);
        });
      });
      return chain;
    }).then(function () {
      return fetch(uploadPath + '/' + plan.token + '/done', {
        method: 'POST', credentials: 'same-origin'
      }).then(answer);
    }).then(function () {
      plan.files.forEach(function (entry) {
        var r = rows[entry.index];
        r.text.textContent = 'Uploaded';
        r.el.setAttribute('data-state', 'done');
      });
      box.setAttribute('data-state', 'done');
    }).catch(function (err) {
      var listed = err.body && err.body.rejected;
      if (listed) { listed.forEach(function (x) { fail(rows[x.index], x.detail); }); }
      rows.forEach(function (r) { if (!r.failed) fail(r, 'Upload failed: ' + err.message); });
      box.setAttribute('data-state', 'error');
    }).then(function () {
      input.disabled = false;
      input.value = '';
    });
  }

  document.addEventListener('change', function (ev) {
    var el = ev.target;
    if (el && el.getAttribute && el.getAttribute('data-kind') === 'file') upload(el);
  });
})();
