/* PyWry progress bars: what ctx.progress() reports, with a Cancel button.
 *
 * pywry:progress {id, fraction, message?}   show or move the bar of run `id`
 * pywry:progress {id, done: true, cancelled} the run ended: the bar goes
 * Cancel sends pywry:cancel {id}; the server cancels the run wherever it runs.
 * No inline script or style attribute values from the server are evaluated.
 */
(function () {
  'use strict';
  if (!window.pywry) return;
  var bars = {};

  function container() {
    var box = document.querySelector('.pywry-progress-list');
    if (!box) {
      box = document.createElement('div');
      box.className = 'pywry-progress-list';
      box.setAttribute('aria-live', 'polite');
      document.body.appendChild(box);
    }
    return box;
  }

  function make(id, widget) {
    var bar = document.createElement('div');
    bar.className = 'pywry-progress';
    bar.dataset.run = id;
    var text = document.createElement('span');
    text.className = 'pywry-progress__message';
    var meter = document.createElement('progress');
    meter.className = 'pywry-progress__bar';
    meter.max = 1;
    meter.value = 0;
    var cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'pywry-progress__cancel';
    cancel.textContent = 'Cancel';
    cancel.addEventListener('click', function () {
      cancel.disabled = true;
      cancel.textContent = 'Cancelling';
      bar.classList.add('pywry-progress--cancelling');
      widget.emit('pywry:cancel', { id: id });
    });
    bar.appendChild(text);
    bar.appendChild(meter);
    bar.appendChild(cancel);
    container().appendChild(bar);
    bars[id] = { bar: bar, text: text, meter: meter };
    return bars[id];
  }

  window.pywry.mount(function (widget) { widget.on('pywry:progress', function (d) {
    if (!d || typeof d.id !== 'string') return;
    var entry = bars[d.id];
    if (d.done) {
      if (entry) {
        entry.bar.remove();
        delete bars[d.id];
      }
      return;
    }
    entry = entry || make(d.id, widget);
    var fraction = Math.max(0, Math.min(1, Number(d.fraction) || 0));
    entry.meter.value = fraction;
    entry.meter.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
    entry.text.textContent = (d.message ? d.message + ' ' : '') + Math.round(fraction * 100) + '%';
  }); });
})();
