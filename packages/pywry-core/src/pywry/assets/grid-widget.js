/* PyWry DataFrame grid: Tabulator on the widget's data document, linked to Python.
 *
 * Data: fetched once from window.__PYWRY__.dataPath (the page settings, see bridge.js) + "?v=" + dataDigest (cached by
 * the browser); rows arrive as arrays and become objects keyed by column field, plus
 * "__pywry_row", the row's position in the DataFrame (what events and Python use).
 *
 * Browser -> Python (payloads in docs/grid.md):
 *   grid:cell-click {row, column, value, rowData}
 *   grid:row-selected {rows, count, truncated, data}
 *   grid:cell-edit {row, column, value, oldValue, rowData}
 *   grid:filter-changed {filters: [{column, value}], rowCount}
 *   grid:sort-changed {sorters: [{column, dir}]}
 * Python -> browser:
 *   grid:update-cell {row, column, value}
 *   grid:update-data {digest, rowCount, table?}   (no table: fetch it by digest)
 *   grid:update-columns {columns: [{name, field, title?, hidden?, width?, editable?, frozen?}]}
 *   grid:export-csv {filename}
 */
(function () {
  'use strict';

  if (!window.Tabulator || !window.pywry) return;

  // Every grid on the page (one, or several on a composed page), each with its widget's API.
  window.pywry.mount(function (pywry, root, config) {
    var holder = root.querySelector('.pywry-grid');
    if (!holder) return;

    var ROW = '__pywry_row';
    var MAX_SELECTED_IDS = 10000;
    var MAX_SELECTED_ROWS = 100;
    var NUMERIC = { integer: true, number: true };

    var table = null;
    var columns = [];
    var options = {};
    var lastFilters = '[]';
    var lastSorters = '[]';
    var countLabel = null;

    function toObjects(rows) {
      var out = new Array(rows.length);
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var obj = {};
        obj[ROW] = i;
        for (var j = 0; j < columns.length; j++) obj[columns[j].field] = row[j];
        out[i] = obj;
      }
      return out;
    }

    function byField(field) {
      for (var i = 0; i < columns.length; i++) if (columns[i].field === field) return columns[i];
      return null;
    }

    function named(data) {
      var out = {};
      columns.forEach(function (c) { out[c.name] = data[c.field] === undefined ? null : data[c.field]; });
      return out;
    }

    function isEditable(col) {
      if (typeof col.editable === 'boolean') return col.editable;
      if (col.index) return false;
      var e = options.editable;
      return e === true || (Array.isArray(e) && e.indexOf(col.name) >= 0);
    }

    function text(value) {
      return value === null || value === undefined ? '' : String(value).toLowerCase();
    }

    /* Numeric header filter: "> 10", "<= 2.5", "!= 0", "= 3", or a plain substring. */
    function numberFilter(wanted, value) {
      var m = /^\s*(>=|<=|!=|>|<|=)?\s*(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$/.exec(wanted);
      if (!m) return text(value).indexOf(text(wanted).trim()) >= 0;
      if (value === null || value === undefined) return false;
      var x = Number(value);
      var y = Number(m[2]);
      switch (m[1] || '=') {
        case '>': return x > y;
        case '<': return x < y;
        case '>=': return x >= y;
        case '<=': return x <= y;
        case '!=': return x !== y;
        default: return x === y;
      }
    }

    function textFilter(wanted, value) {
      return text(value).indexOf(text(wanted)) >= 0;
    }

    /* User strings reach the page as text, never as markup. Tabulator writes a column
     * title, a list editor's items and a formatter's string result with innerHTML, so
     * titles and list items are handed over as DOM nodes, and cells use Tabulator's
     * 'plaintext' formatter (it escapes) or the fixed tickCross icons. */
    function asText(value) {
      var span = document.createElement('span');
      span.textContent = value === null || value === undefined ? '' : String(value);
      return span;
    }

    function titleText(cell) {
      return asText(cell.getValue());
    }

    function itemText(label) {
      return asText(label);
    }

    function definition(col) {
      var def = {
        title: col.title || col.name,
        titleFormatter: titleText,
        formatter: 'plaintext',
        field: col.field,
        resizable: true,
        headerFilter: 'input',
        headerFilterFunc: textFilter,
        headerFilterPlaceholder: 'filter',
        visible: !col.hidden,
        sorter: 'string',
        sorterParams: { alignEmptyValues: 'bottom' }
      };
      if (col.width) def.width = col.width;
      if (col.frozen || col.index) def.frozen = true;
      var editable = isEditable(col);
      if (NUMERIC[col.dtype]) {
        def.sorter = 'number';
        def.hozAlign = 'right';
        def.headerFilterFunc = numberFilter;
        def.headerFilterPlaceholder = '> < =';
        if (editable) def.editor = 'number';
      } else if (col.dtype === 'boolean') {
        def.sorter = 'boolean';
        def.hozAlign = 'center';
        def.formatter = 'tickCross';
        def.formatterParams = { allowEmpty: true };
        if (editable) def.editor = 'tickCross';
      } else if (col.dtype === 'category') {
        if (editable) def.editor = 'list';
        def.editorParams = { values: col.categories || [], itemFormatter: itemText };
      } else if (editable) {
        def.editor = 'input';
      }
      return def;
    }

    function setCount() {
      if (!countLabel || !table) return;
      var shown = table.getDataCount('active');
      var total = table.getDataCount();
      countLabel.textContent = shown === total ? total + ' rows' : shown + ' of ' + total + ' rows';
    }

    function footer() {
      var bar = document.createElement('div');
      bar.className = 'pywry-grid-footer';
      countLabel = document.createElement('span');
      countLabel.className = 'pywry-grid-count';
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'pywry-grid-export';
      button.textContent = 'Export CSV';
      button.addEventListener('click', function () { exportCsv(options.csvFilename); });
      bar.appendChild(countLabel);
      bar.appendChild(button);
      return bar;
    }

    function exportCsv(filename) {
      if (table) table.download('csv', filename || 'data.csv');
    }

    function selectionPayload(rows) {
      var ids = rows.map(function (r) { return r.getData()[ROW]; }).sort(function (a, b) { return a - b; });
      return {
        rows: ids.slice(0, MAX_SELECTED_IDS),
        count: ids.length,
        truncated: ids.length > MAX_SELECTED_IDS,
        data: rows.slice(0, MAX_SELECTED_ROWS).map(function (r) { return named(r.getData()); })
      };
    }

    function hook() {
      table.on('cellClick', function (e, cell) {
        var col = byField(cell.getField());
        if (!col) return;
        var data = cell.getRow().getData();
        pywry.emit('grid:cell-click', { row: data[ROW], column: col.name, value: cell.getValue(), rowData: named(data) });
      });
      table.on('rowSelectionChanged', function (data, rows) {
        pywry.emit('grid:row-selected', selectionPayload(rows));
      });
      table.on('cellEdited', function (cell) {
        var col = byField(cell.getField());
        if (!col) return;
        var data = cell.getRow().getData();
        var old = cell.getOldValue();
        pywry.emit('grid:cell-edit', {
          row: data[ROW], column: col.name, value: cell.getValue(),
          oldValue: old === undefined ? null : old, rowData: named(data)
        });
      });
      table.on('dataFiltered', function (filters, rows) {
        var active = table.getHeaderFilters().map(function (f) {
          var col = byField(f.field);
          return { column: col ? col.name : f.field, value: f.value };
        });
        var key = JSON.stringify(active);
        setTimeout(setCount, 0);
        if (key === lastFilters) return;
        lastFilters = key;
        pywry.emit('grid:filter-changed', { filters: active, rowCount: rows.length });
      });
      table.on('dataSorted', function (sorters) {
        var active = sorters.map(function (s) {
          var col = byField(s.field);
          return { column: col ? col.name : s.field, dir: s.dir };
        });
        var key = JSON.stringify(active);
        if (key === lastSorters) return;
        lastSorters = key;
        pywry.emit('grid:sort-changed', { sorters: active });
      });
    }

    function build(doc) {
      columns = doc.table.columns;
      options = doc.options || {};
      var selection = options.selection || 'multiple';
      // Its own page: the whole window. On a composed page: the height the page's styles
      // give the grid (pywry.css: 420px; the app's own CSS may say otherwise), scrolling.
      var composed = root.classList && root.classList.contains('pywry-widget');
      table = new window.Tabulator(holder, {
        height: composed ? window.getComputedStyle(holder).height : '100%',
        layout: 'fitDataFill',
        renderVertical: 'virtual',
        index: ROW,
        nestedFieldSeparator: false,
        columns: columns.map(definition),
        selectableRows: selection === 'none' ? false : selection === 'single' ? 1 : true,
        selectableRowsRangeMode: 'click',
        placeholder: 'No rows',
        footerElement: footer()
      });
      window.pywryGrid = table;
      table.on('tableBuilt', function () {
        table.setData(toObjects(doc.table.rows)).then(function () {
          hook();
          setCount();
          document.documentElement.setAttribute('data-pywry-grid', 'ready');
          if (root.setAttribute) root.setAttribute('data-pywry-grid', 'ready');
        });
      });
    }

    function replaceTable(next) {
      var sameColumns = JSON.stringify(next.columns) === JSON.stringify(columns);
      columns = next.columns;
      if (!sameColumns) table.setColumns(columns.map(definition));
      return table.replaceData(toObjects(next.rows)).then(setCount);
    }

    pywry.on('grid:update-cell', function (d) {
      var col = null;
      columns.forEach(function (c) { if (c.name === d.column) col = c; });
      if (!table || !col) return;
      var change = {};
      change[ROW] = d.row;
      change[col.field] = d.value;
      table.updateData([change]);
    });

    pywry.on('grid:update-data', function (d) {
      if (!table) return;
      config.dataDigest = d.digest;
      if (d.table) {
        replaceTable(d.table);
      } else {
        pywry.fetchData(d.digest).then(function (doc) { replaceTable(doc.table); });
      }
    });

    pywry.on('grid:update-columns', function (d) {
      if (!table) return;
      (d.columns || []).forEach(function (change) {
        var col = byField(change.field);
        if (col) Object.keys(change).forEach(function (k) { col[k] = change[k]; });
      });
      table.setColumns(columns.map(definition));
    });

    pywry.on('grid:export-csv', function (d) { exportCsv(d && d.filename ? d.filename : options.csvFilename); });

    pywry.fetchData(config.dataDigest).then(build).catch(function (err) {
      console.error('[pywry] grid data could not be loaded', err);
      holder.textContent = 'The table could not be loaded.';
    });
  });
})();
