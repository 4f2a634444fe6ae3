/* PyWry Plotly widget: draws the widget's figure and links it to Python.
 *
 * The figure is fetched once from window.__PYWRY__.dataPath + "?v=" + dataDigest
 * (cached by the browser), not inlined into the page.
 *
 * Python -> browser: plotly:update-figure {digest, figure?, config?} (no figure: fetch
 *   it by digest), plotly:update-layout {layout}, plotly:update-traces {update, indices},
 *   plotly:reset-zoom {}.
 * Browser -> Python: plotly:click, plotly:hover {points}, plotly:selected {points,
 *   count, truncated, range, lassoPoints}, plotly:relayout {changes}.
 * Theme: the figure's template follows the page theme when the data document
 *   carries templates (see show_plotly's theme_template).
 */
(function () {
  'use strict';

  if (!window.Plotly || !window.pywry) return;
  var Plotly = window.Plotly;

  // Every chart on the page (one, or several on a composed page), each with its widget's API.
  window.pywry.mount(function (pywry, root, config) {
    var plot = root.querySelector('.pywry-plot');
    if (!plot) return;
    var MAX_SELECTED = 5000;
    var spec = { figure: { data: [], layout: {} }, config: {}, templates: null };
    var quiet = 0;       // > 0 while we relayout ourselves: no plotly:relayout echo
    var lastHover = '';
    var drawn = false;

    /* The modebar never offers to send the figure off this server, whatever the app's
     * config says: no "Share chart" / "Edit in Chart Studio" button, no "Edit chart"
     * link, no cloud URL to post to (plotly.js 4 shows "Share chart" by default). */
    var CLOUD_BUTTONS = { sendChartToCloud: true, sendDataToCloud: true, editInChartStudio: true };
    var OFF_SERVER = {
      showSendToCloud: false,
      showEditInChartStudio: false,
      showLink: false,
      sendData: false,
      plotlyServerURL: ''
    };

    function localButtons(list) {
      return list.filter(function (b) {
        if (Array.isArray(b)) return true;
        var name = b && typeof b === 'object' ? b.name : b;
        return !CLOUD_BUTTONS[name];
      }).map(function (b) { return Array.isArray(b) ? localButtons(b) : b; });
    }

    function plotConfig() {
      var merged = Object.assign({ responsive: true, displaylogo: false }, spec.config || {}, OFF_SERVER);
      delete merged.linkText;
      if (Array.isArray(merged.modeBarButtonsToAdd)) merged.modeBarButtonsToAdd = localButtons(merged.modeBarButtonsToAdd);
      if (Array.isArray(merged.modeBarButtons)) merged.modeBarButtons = localButtons(merged.modeBarButtons);
      return merged;
    }

    function template() {
      var theme = window.pywryTheme ? window.pywryTheme.current() : 'light';
      return spec.templates ? spec.templates[theme] || null : null;
    }

    function themedLayout() {
      var layout = Object.assign({}, spec.figure.layout || {});
      var t = template();
      if (t) layout.template = t;
      return layout;
    }

    function quietly(promise) {
      quiet += 1;
      return Promise.resolve(promise).then(
        function (v) { quiet -= 1; return v; },
        function (e) { quiet -= 1; throw e; }
      );
    }

    /* {"xaxis": {"range": [0, 1]}} -> {"xaxis.range": [0, 1]}: merge rather than replace. */
    function flatten(obj, prefix, out) {
      out = out || {};
      Object.keys(obj || {}).forEach(function (key) {
        var value = obj[key];
        var path = prefix ? prefix + '.' + key : key;
        if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
          flatten(value, path, out);
        } else {
          out[path] = value;
        }
      });
      return out;
    }

    function point(p) {
      var out = {
        curveNumber: p.curveNumber,
        pointNumber: p.pointNumber,
        pointIndex: p.pointIndex,
        x: p.x,
        y: p.y,
        traceName: p.data ? p.data.name : undefined
      };
      ['pointNumbers', 'z', 'lat', 'lon', 'text', 'hovertext', 'customdata', 'label', 'value', 'percent']
        .forEach(function (key) { if (p[key] !== undefined) out[key] = p[key]; });
      return out;
    }

    function points(ev) {
      return (ev && ev.points ? ev.points : []).map(point);
    }

    function hook() {
      plot.on('plotly_click', function (ev) { pywry.emit('plotly:click', { points: points(ev) }); });
      plot.on('plotly_hover', function (ev) {
        var data = { points: points(ev) };
        var key = JSON.stringify(data.points.map(function (p) { return [p.curveNumber, p.pointNumber]; }));
        if (key === lastHover) return;
        lastHover = key;
        pywry.emit('plotly:hover', data);
      });
      plot.on('plotly_unhover', function () { lastHover = ''; });
      plot.on('plotly_selected', function (ev) {
        var all = ev && ev.points ? ev.points : [];
        pywry.emit('plotly:selected', {
          points: all.slice(0, MAX_SELECTED).map(point),
          count: all.length,
          truncated: all.length > MAX_SELECTED,
          range: ev && ev.range ? ev.range : null,
          lassoPoints: ev && ev.lassoPoints ? ev.lassoPoints : null
        });
      });
      plot.on('plotly_relayout', function (changes) {
        if (quiet > 0) return;
        var keys = Object.keys(changes || {});
        if (!keys.length || (keys.length === 1 && keys[0] === 'autosize')) return;
        pywry.emit('plotly:relayout', { changes: changes });
      });
    }

    /* WebGL traces (scattergl, splom, parcoords, 3D) make plotly.js generate code at run
     * time; the page's Content-Security-Policy refuses that unless the server allows it.
     * Say so above the chart rather than leave plotly's "WebGL is not supported". */
    document.addEventListener('securitypolicyviolation', function (e) {
      if (e.blockedURI !== 'eval' || document.getElementById('pywry-plot-blocked')) return;
      var message = 'This chart uses WebGL traces, which need the server setting ' +
        'PYWRY_SERVER__CSP_ALLOW_EVAL=true: the Content-Security-Policy blocks the code ' +
        'plotly.js generates for them.';
      console.error('[pywry] ' + message);
      var banner = document.createElement('div');
      banner.id = 'pywry-plot-blocked';
      banner.className = 'pywry-banner';
      banner.setAttribute('role', 'alert');
      banner.textContent = message;
      plot.parentNode.insertBefore(banner, plot);
    });

    function draw() {
      return quietly(Plotly.react(plot, spec.figure.data || [], themedLayout(), plotConfig()));
    }

    function load(doc) {
      spec = {
        figure: doc.figure || { data: [], layout: {} },
        config: doc.config || {},
        templates: doc.templates || null
      };
    }

    pywry.fetchData(config.dataDigest).then(function (doc) {
      load(doc);
      return quietly(Plotly.newPlot(plot, spec.figure.data || [], themedLayout(), plotConfig()));
    }).then(function () {
      drawn = true;
      hook();
      window.pywryPlot = plot;
      document.documentElement.setAttribute('data-pywry-plot', 'ready');
      if (root.setAttribute) root.setAttribute('data-pywry-plot', 'ready');
    }).catch(function (err) {
      console.error('[pywry] the figure could not be loaded', err);
      plot.textContent = 'The chart could not be loaded.';
    });

    pywry.on('plotly:update-figure', function (d) {
      config.dataDigest = d.digest;
      if (d.figure) {
        load({ figure: d.figure, config: d.config, templates: spec.templates });
        draw();
      } else {
        pywry.fetchData(d.digest).then(function (doc) { load(doc); draw(); });
      }
    });

    pywry.on('plotly:update-layout', function (d) {
      var layout = d.layout || {};
      quietly(Plotly.relayout(plot, flatten(layout)));
    });

    pywry.on('plotly:update-traces', function (d) {
      var flat = flatten(d.update || {});
      var update = {};
      Object.keys(flat).forEach(function (key) { update[key] = [flat[key]]; });
      var indices = d.indices === undefined || d.indices === null ? undefined : d.indices;
      quietly(Plotly.restyle(plot, update, indices));
    });

    pywry.on('plotly:reset-zoom', function () {
      var changes = {};
      Object.keys(plot.layout || {}).forEach(function (key) {
        if (/^[xy]axis\d*$/.test(key)) changes[key + '.autorange'] = true;
      });
      if (!Object.keys(changes).length) changes = { 'xaxis.autorange': true, 'yaxis.autorange': true };
      quietly(Plotly.relayout(plot, changes));
    });

    document.addEventListener('pywry:theme', function () {
      var t = template();
      if (t && drawn) quietly(Plotly.relayout(plot, { template: t }));
    });
  });
})();
