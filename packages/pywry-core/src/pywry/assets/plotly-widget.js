/* PyWry Plotly widget: draws the page's figure and links it to Python.
 *
 * Python -> browser: plotly:update-figure {figure}, plotly:update-layout {layout},
 *   plotly:update-traces {update, indices}, plotly:reset-zoom {}.
 * Browser -> Python: plotly:click, plotly:hover, plotly:selected {points: [...]},
 *   plotly:relayout {changes}.
 */
(function () {
  'use strict';

  var holder = document.getElementById('pywry-figure');
  var plot = document.getElementById('pywry-plot');
  if (!holder || !plot || !window.Plotly || !window.pywry) return;
  var spec = JSON.parse(holder.textContent);
  var config = Object.assign({ responsive: true, displaylogo: false }, spec.config || {});

  function points(ev) {
    return (ev && ev.points ? ev.points : []).map(function (p) {
      return {
        curveNumber: p.curveNumber,
        pointNumber: p.pointNumber,
        pointIndex: p.pointIndex,
        x: p.x,
        y: p.y,
        z: p.z,
        text: p.text,
        customdata: p.customdata
      };
    });
  }

  function hook() {
    plot.on('plotly_click', function (ev) { window.pywry.emit('plotly:click', { points: points(ev) }); });
    plot.on('plotly_hover', function (ev) { window.pywry.emit('plotly:hover', { points: points(ev) }); });
    plot.on('plotly_selected', function (ev) {
      window.pywry.emit('plotly:selected', { points: points(ev), range: ev && ev.range ? ev.range : null });
    });
    plot.on('plotly_relayout', function (changes) { window.pywry.emit('plotly:relayout', { changes: changes }); });
  }

  window.Plotly.newPlot(plot, spec.figure.data || [], spec.figure.layout || {}, config).then(function () {
    hook();
    document.documentElement.setAttribute('data-pywry-plot', 'ready');
  });

  window.pywry.on('plotly:update-figure', function (d) {
    var fig = d.figure || {};
    window.Plotly.react(plot, fig.data || [], fig.layout || {}, config);
  });
  window.pywry.on('plotly:update-layout', function (d) { window.Plotly.relayout(plot, d.layout || {}); });
  window.pywry.on('plotly:update-traces', function (d) {
    window.Plotly.restyle(plot, d.update || {}, d.indices === undefined ? null : d.indices);
  });
  window.pywry.on('plotly:reset-zoom', function () {
    window.Plotly.relayout(plot, { 'xaxis.autorange': true, 'yaxis.autorange': true });
  });
})();
