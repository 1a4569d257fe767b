/* ntoy memory report: draws the model described in SCHEMA.md into report.html.
 * Plain ES2020, no modules, no build step. Chart.js 3.9.1 is the global `Chart`.
 *
 * Every view is built into the DOM at load (hidden views are display:none) so that a
 * `--dump-dom` sees all the tables. Canvases that need their on-screen width (the address map,
 * the frame grid) are drawn when their view is shown, and again on resize.
 *
 * Test contract: body[data-errors] counts exceptions caught while rendering plus uncaught
 * errors; body[data-ready]="1" and body[data-render-ms] are set when the first render is done. */
(function () {
  'use strict';

  const T_START = performance.now();

  // ---------------------------------------------------------------------------------------------
  // Colours: defined once, used by legends, tables, canvases and charts.

  const TYPE_COLORS = {
    Total: '#4a5563',
    Image: '#b07fdc',       // VMMap: purple
    Private: '#f7d046',     // yellow
    Heap: '#f2703f',        // orange-red
    Stack: '#3fb39a',       // green / teal
    Mapped: '#6ea6dd',      // blue-ish
    'Page Table': '#8a9bbd', // grey-blue
    Free: '#e3e5e8',        // light grey
  };
  const LIST_COLORS = {
    Active: '#2f9e55',
    Standby: '#5b9bd5',
    Modified: '#ef8a3a',
    ModifiedNoWrite: '#f5c48e',
    Transition: '#a889d6',
    Zeroed: '#dfe3e8',
    Free: '#b4bac2',
    Bad: '#d32f2f',
  };
  const USE_COLORS = {
    Unused: '#e4e7eb',
    'Process Private': '#f7d046',
    'Mapped Image': '#b07fdc',
    'Page Table': '#8a9bbd',
    'Paged Pool': '#7cc6ea',
    'Nonpaged Pool': '#2f77b4',
    Kernel: '#5f6b78',
  };
  const KIND_COLORS = {
    'demand-zero': '#4e79a7',
    soft: '#59a14f',
    hard: '#9c6b4e',
    'copy-on-write': '#f28e2b',
    'guard page': '#e8c547',
    'stack growth': '#76b7b2',
    'access violation': '#e15759',
    other: '#b0a8a4',
  };
  const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1',
    '#ff9da7', '#9c755f', '#bab0ac', '#1f77b4', '#17becf', '#bcbd22', '#8c564b', '#7f7f7f'];

  function colorFor(map, name, index) {
    if (Object.prototype.hasOwnProperty.call(map, name)) return map[name];
    return PALETTE[Math.abs(index | 0) % PALETTE.length];
  }

  // RAMMap's Use Counts columns, in its order.
  const USE_COUNT_LISTS = ['Active', 'Standby', 'Modified', 'ModifiedNoWrite', 'Transition',
    'Zeroed', 'Free', 'Bad'];
  const LIST_TITLES = { ModifiedNoWrite: 'Modified No-Write' };
  const SUMMARY_TYPES = ['Total', 'Image', 'Private', 'Heap', 'Stack', 'Mapped', 'Page Table',
    'Free'];
  const VIEWS = [
    { id: 'address', title: 'Address space' },
    { id: 'physical', title: 'Physical memory' },
    { id: 'timeline', title: 'Timeline' },
    { id: 'compare', title: 'Processes side by side' },
    { id: 'pools', title: 'Pools' },
  ];
  // The top of the user half the map spans: the model's (ntoy's user half ends below
  // 0xFF'00000000), else x64's 2^47.
  let USER_END = 0x800000000000;

  // ---------------------------------------------------------------------------------------------
  // Errors: every render step runs under guard(); failures show in the banner and are counted.

  let errorCount = 0;
  function publishErrors() {
    if (document.body) document.body.dataset.errors = String(errorCount);
  }
  function reportError(where, err) {
    errorCount++;
    publishErrors();
    const text = where + ': ' + (err && err.message ? err.message : String(err));
    try {
      const banner = document.getElementById('error-banner');
      if (banner) {
        banner.hidden = false;
        if (!banner.firstChild) {
          const h = document.createElement('strong');
          h.textContent = 'Part of this report failed to draw. ';
          banner.appendChild(h);
        }
        const line = document.createElement('div');
        line.className = 'error-line';
        line.textContent = text;
        banner.appendChild(line);
      }
    } catch (e) { /* the banner is best effort */ }
    reporting = true;
    try {
      if (window.console && console.error) console.error('ntoy report: ' + text, err && err.stack ? err.stack : '');
    } finally {
      reporting = false;
    }
  }
  // Whatever else reports an error on the console (Chart.js does, for a chart it cannot draw)
  // counts too: headless Chromium does not always print console.error, so tests read the count.
  let reporting = false;
  if (window.console && console.error) {
    const consoleError = console.error.bind(console);
    console.error = function () {
      if (!reporting) {
        errorCount++;
        publishErrors();
      }
      consoleError.apply(null, arguments);
    };
  }
  function guard(where, fn) {
    try {
      return fn();
    } catch (e) {
      reportError(where, e);
      return undefined;
    }
  }
  function guarded(where, fn) {
    return function () {
      const args = arguments;
      const self = this;
      return guard(where, () => fn.apply(self, args));
    };
  }
  window.addEventListener('error', (ev) => {
    const msg = ev && ev.message ? String(ev.message) : '';
    if (/ResizeObserver loop/.test(msg)) return; // benign browser notice, not a failure
    reportError('uncaught', ev && ev.error ? ev.error : msg);
  });
  window.addEventListener('unhandledrejection', (ev) => reportError('unhandled promise', ev.reason));

  // ---------------------------------------------------------------------------------------------
  // Small helpers.

  const NF = new Intl.NumberFormat('en-US');
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : 0; }
  function fmtInt(n) { return NF.format(Math.round(num(n))); }
  function fmtK(bytes) { return NF.format(Math.round(num(bytes) / 1024)) + ' K'; }
  function fmtBytes(b) {
    b = num(b);
    const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
    let i = 0;
    while (Math.abs(b) >= 1024 && i < units.length - 1) { b /= 1024; i++; }
    if (i === 0) return NF.format(b) + ' bytes';
    return (b >= 100 ? b.toFixed(0) : b >= 10 ? b.toFixed(1) : b.toFixed(2)).replace(/\.0+$/, '') + ' ' + units[i];
  }
  function fmtMs(t) {
    t = num(t);
    const a = Math.abs(t);
    return (a < 1 ? t.toFixed(3) : a < 100 ? t.toFixed(2) : t.toFixed(1));
  }
  function hex(n) { return '0x' + Math.max(0, Math.floor(num(n))).toString(16); }
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, (c) => (
      { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }
  function arr(v) { return Array.isArray(v) ? v : []; }
  function basename(p) {
    const s = String(p || '');
    const i = Math.max(s.lastIndexOf('\\'), s.lastIndexOf('/'));
    return i >= 0 ? s.slice(i + 1) : s;
  }
  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const k of Object.keys(attrs)) {
        const v = attrs[k];
        if (v == null || v === false) continue;
        if (k === 'text') e.textContent = v;
        else if (k === 'html') e.innerHTML = v;
        else if (k === 'class') e.className = v;
        else if (k === 'style') e.style.cssText = v;
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of arr(children)) {
      if (c == null) continue;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }
  function note(text, cls) { return el('p', { class: 'note' + (cls ? ' ' + cls : ''), text: text }); }
  function swatch(color, extra) {
    return '<span class="swatch' + (extra ? ' ' + extra : '') + '" style="background:' + esc(color) + '"></span>';
  }
  function card(title, subtitle) {
    const c = el('section', { class: 'card' });
    if (title) c.appendChild(el('h2', { text: title }));
    if (subtitle) c.appendChild(el('p', { class: 'sub', text: subtitle }));
    return c;
  }
  // Segmented control: [{value,label}], returns {root, set(value)}.
  function segmented(id, options, value, onChange) {
    const root = el('div', { class: 'seg', id: id, role: 'group' });
    const buttons = options.map((o) => {
      const b = el('button', { type: 'button', id: id + '-' + o.value, 'data-value': o.value, text: o.label });
      b.addEventListener('click', guarded(id, () => { set(o.value); onChange(o.value); }));
      root.appendChild(b);
      return b;
    });
    function set(v) {
      for (const b of buttons) b.classList.toggle('on', b.dataset.value === v);
      root.dataset.value = v;
    }
    set(value);
    return { root, set };
  }
  function hexToRgb(h) {
    const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(h);
    return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : [128, 128, 128];
  }
  function tint(h, amount) { // mix with white
    const [r, g, b] = hexToRgb(h);
    const f = (c) => Math.round(c + (255 - c) * amount);
    return 'rgb(' + f(r) + ',' + f(g) + ',' + f(b) + ')';
  }
  function alpha(h, a) {
    const [r, g, b] = hexToRgb(h);
    return 'rgba(' + r + ',' + g + ',' + b + ',' + a + ')';
  }
  function upperBound(n, pred) { // first index in [0,n) where pred(i) is true (pred monotone)
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pred(mid)) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

  // Tooltip shared by the canvases.
  let tipEl = null;
  function showTip(html, x, y) {
    if (!tipEl) tipEl = document.getElementById('tooltip');
    if (!tipEl) return;
    tipEl.innerHTML = html;
    tipEl.hidden = false;
    const w = tipEl.offsetWidth, h = tipEl.offsetHeight;
    let left = x + 14, top = y + 14;
    if (left + w > window.innerWidth - 8) left = Math.max(8, x - w - 14);
    if (top + h > window.innerHeight - 8) top = Math.max(8, y - h - 14);
    tipEl.style.left = left + 'px';
    tipEl.style.top = top + 'px';
  }
  function hideTip() { if (tipEl) tipEl.hidden = true; }
  function tipRows(title, rows) {
    let s = '<div class="tip-title">' + title + '</div><table>';
    for (const [k, v] of rows) s += '<tr><th>' + esc(k) + '</th><td>' + v + '</td></tr>';
    return s + '</table>';
  }

  // Sortable tables: click a header; th[data-type="num"] sorts on the cells' data-value.
  function makeSortable(table) {
    if (!table || !table.tHead || !table.tBodies.length) return;
    const ths = Array.from(table.tHead.rows[0].cells);
    ths.forEach((th, i) => {
      th.classList.add('sortable');
      th.tabIndex = 0;
      const go = guarded('sort', () => {
        const dir = th.dataset.sort === 'asc' ? 'desc' : 'asc';
        for (const o of ths) { delete o.dataset.sort; o.removeAttribute('aria-sort'); }
        th.dataset.sort = dir;
        th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
        const numeric = th.dataset.type === 'num';
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const keys = rows.map((r) => {
          const c = r.cells[i];
          if (!c) return numeric ? -Infinity : '';
          const v = c.dataset.value != null ? c.dataset.value : c.textContent;
          if (numeric) { const n = Number(v); return isNaN(n) ? -Infinity : n; }
          return String(v).toLowerCase();
        });
        const idx = rows.map((_, k) => k);
        const sign = dir === 'asc' ? 1 : -1;
        idx.sort((a, b) => {
          const x = keys[a], y = keys[b];
          if (x < y) return -sign;
          if (x > y) return sign;
          return a - b;
        });
        const frag = document.createDocumentFragment();
        for (const k of idx) frag.appendChild(rows[k]);
        body.appendChild(frag);
      });
      th.addEventListener('click', go);
      th.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
    });
  }

  // Views, show hooks and charts.
  const showHooks = {};     // view id -> [fn], run each time the view is shown
  const viewCharts = {};    // view id -> [Chart]
  function onShow(view, fn) { (showHooks[view] = showHooks[view] || []).push(fn); }
  function addChart(view, chart) { if (chart) (viewCharts[view] = viewCharts[view] || []).push(chart); return chart; }
  let currentView = null;

  function chartAvailable() { return typeof window.Chart === 'function'; }
  function makeChart(view, canvas, config) {
    if (!chartAvailable()) {
      canvas.replaceWith(note('No chart: this ntoy was built without Chart.js (Debian\'s libjs-chart.js; ./ntoy.sh installs it). The tables hold every number.'));
      return null;
    }
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    config.options.animation = false;
    config.options.responsive = true;
    config.options.maintainAspectRatio = false;
    return addChart(view, new window.Chart(canvas, config));
  }
  function chartBox(height, id) {
    const box = el('div', { class: 'chart-box', style: 'height:' + height + 'px' });
    const canvas = el('canvas', id ? { id: id } : null);
    box.appendChild(canvas);
    return { box, canvas };
  }
  // A linear time axis that ends where the run's data ends.
  function timeAxis() {
    const tl = (M && M.timeline) || {};
    const ts = arr(tl.samples).map((s) => num(s.t));
    const bs = arr(tl.buckets);
    let lo = ts.length ? Math.min(0, ts[0]) : 0;
    let hi = ts.length ? ts[ts.length - 1] : 0;
    // Buckets are of time unless the run's clock never moved (then they count faults).
    if (bs.length && tl.axis !== 'fault number') hi = Math.max(hi, num(bs[bs.length - 1].t1));
    const axis = { type: 'linear', title: { display: true, text: 'time (ms)' } };
    if (hi > lo) { axis.min = lo; axis.max = hi; }
    return axis;
  }
  const CHART_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  // ---------------------------------------------------------------------------------------------
  // The model.

  function loadModel() {
    const node = document.getElementById('report-data');
    const text = node ? node.textContent.trim() : '';
    // (the placeholder is spelled in two pieces so a textual replace of it cannot touch this line)
    if (!text || text === '/*NTOY' + ':DATA*/') throw new Error('the report holds no data');
    const m = JSON.parse(text);
    if (!m || typeof m !== 'object') throw new Error('the report data is not an object');
    return m;
  }

  let M = null;
  let processById = new Map();
  function procName(pid) {
    const p = processById.get(Number(pid));
    return p ? p.image : '';
  }
  function snapshotLabel(s, i) {
    const t = s && typeof s.t === 'number' ? ' (t = ' + fmtMs(s.t) + ' ms)' : '';
    return '#' + i + ' ' + String((s && s.label) || 'snapshot') + t;
  }

  // ---------------------------------------------------------------------------------------------
  // Header and tabs.

  function renderHeader() {
    const head = document.getElementById('report-header');
    const title = String(M.title || '(untitled run)');
    document.title = 'ntoy report \u2014 ' + title;
    head.appendChild(el('h1', null, [el('span', { class: 'brand', text: 'ntoy report' }), ' \u2014 ', el('span', { id: 'report-title', text: title })]));
    const snaps = arr(M.snapshots);
    const samples = arr(M.timeline && M.timeline.samples);
    const buckets = arr(M.timeline && M.timeline.buckets);
    let end = 0;
    if (buckets.length && !(M.timeline && M.timeline.axis === 'fault number')) end = num(buckets[buckets.length - 1].t1);
    if (samples.length) end = Math.max(end, num(samples[samples.length - 1].t));
    const meta = [
      ['Source', String(M.source || 'unknown')],
      ['Page size', fmtBytes(M.page_size || 4096)],
      ['Snapshots', String(snaps.length) + (num(M.snapshots_dropped) > 0 ? ' (' + fmtInt(M.snapshots_dropped) + ' more not kept)' : '')],
    ];
    if (end > 0) meta.push(['Run length', fmtMs(end) + ' ms']);
    const mach = M.machine || {};
    const page = num(M.page_size) || 4096;
    if (num(mach.frames) > 0) meta.push(['RAM', fmtBytes(num(mach.frames) * page)]);
    if (num(mach.commit_limit_pages) > 0)
      meta.push(['Commit peak / limit', fmtInt(mach.commit_peak_pages) + ' / ' + fmtInt(mach.commit_limit_pages) + ' pages']);
    if (num(mach.pagefile_pages) > 0) meta.push(['Paging file', fmtBytes(num(mach.pagefile_pages) * page)]);
    const dl = el('dl', { class: 'meta', id: 'report-meta' });
    for (const [k, v] of meta) { dl.appendChild(el('dt', { text: k })); dl.appendChild(el('dd', { text: v })); }
    head.appendChild(dl);
    const procs = arr(M.processes);
    const ul = el('ul', { class: 'proc-chips', id: 'report-processes' });
    if (!procs.length) ul.appendChild(el('li', { class: 'muted', text: 'No processes.' }));
    for (const p of procs) {
      const life = p.exit_t == null ? 'from ' + fmtMs(p.start_t) + ' ms, running'
        : fmtMs(p.start_t) + '\u2013' + fmtMs(p.exit_t) + ' ms';
      const exit = p.exit_code_hex == null ? '' : 'exit ' + p.exit_code_hex;
      const li = el('li', { 'data-process-id': p.process_id, title: 'parent ' + p.parent_id }, [
        el('b', { text: String(p.process_id) }), ' ', el('span', { class: 'img', text: String(p.image || '') }),
        el('span', { class: 'muted', text: ' \u00b7 ' + life + (exit ? ' \u00b7 ' + exit : '') }),
      ]);
      if (p.exit_code_hex && !/^0x0+$/i.test(p.exit_code_hex)) li.classList.add('failed');
      ul.appendChild(li);
    }
    head.appendChild(ul);
  }

  function renderTabs() {
    const nav = document.getElementById('tabs');
    const main = document.getElementById('views');
    for (const v of VIEWS) {
      nav.appendChild(el('a', { href: '#' + v.id, id: 'tab-' + v.id, 'data-view': v.id, text: v.title }));
      main.appendChild(el('section', { id: 'view-' + v.id, class: 'view', 'data-view': v.id, style: 'display:none' }));
    }
  }

  function viewFromHash() {
    const h = (location.hash || '').replace(/^#/, '');
    return VIEWS.some((v) => v.id === h) ? h : 'address';
  }
  function showView(id) {
    currentView = id;
    for (const v of VIEWS) {
      const sec = document.getElementById('view-' + v.id);
      if (sec) sec.style.display = v.id === id ? '' : 'none';
      const tab = document.getElementById('tab-' + v.id);
      if (tab) {
        tab.classList.toggle('active', v.id === id);
        if (v.id === id) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
      }
    }
    hideTip();
    for (const c of viewCharts[id] || []) guard('chart resize', () => c.resize());
    for (const fn of showHooks[id] || []) guard('show ' + id, fn);
  }

  // ---------------------------------------------------------------------------------------------
  // Address space (VMMap).

  function summaryTableHTML(snapIndex, proc) {
    const byType = new Map(arr(proc.summary).map((r) => [r.type, r]));
    const types = SUMMARY_TYPES.slice();
    for (const r of arr(proc.summary)) if (!types.includes(r.type)) types.push(r.type);
    const fields = [['size', 'Size'], ['committed', 'Committed'], ['private', 'Private'],
      ['working_set', 'Working Set'], ['locked', 'Locked'], ['blocks', 'Blocks']];
    let s = '<table class="vmmap-summary data" data-snapshot="' + snapIndex + '" data-process-id="' +
      esc(proc.process_id) + '"><thead><tr><th>Type</th>';
    for (const [, t] of fields) s += '<th class="num" data-type="num">' + t + '</th>';
    s += '</tr></thead><tbody>';
    types.forEach((t, i) => {
      const r = byType.get(t);
      if (!r) return;
      s += '<tr data-type="' + esc(t) + '"' + (t === 'Total' ? ' class="total"' : '') + '><td class="type">' +
        (t === 'Total' ? '' : swatch(colorFor(TYPE_COLORS, t, i))) + esc(t) + '</td>';
      for (const [f] of fields) {
        const v = num(r[f]);
        const shown = f === 'blocks' ? fmtInt(v) : fmtK(v);
        s += '<td class="num' + (v === 0 ? ' zero' : '') + '" data-field="' + f + '" data-value="' + v + '">' + shown + '</td>';
      }
      s += '</tr>';
    });
    return s + '</tbody></table>';
  }

  function renderAddress(sec) {
    sec.appendChild(el('h2', { class: 'view-title', text: 'Address space' }));
    const snaps = arr(M.snapshots);
    const pairs = [];
    snaps.forEach((s, si) => arr(s.processes).forEach((p, pi) => pairs.push({ si, pi, snap: s, proc: p })));
    if (!pairs.length) {
      sec.appendChild(note('No snapshot holds a process, so there is no address space to show.'));
      return;
    }
    const def = num(M.default_snapshot);
    let selected = pairs.findIndex((p) => p.si === def);
    if (selected < 0) selected = 0;

    // selector
    const bar = el('div', { class: 'controls' });
    const select = el('select', { id: 'vmmap-select', 'aria-label': 'Snapshot and process' });
    pairs.forEach((p, i) => {
      select.appendChild(el('option', {
        value: String(i), 'data-snapshot': p.si, 'data-process-id': p.proc.process_id,
        text: snapshotLabel(p.snap, p.si) + ' \u2014 ' + p.proc.process_id + ' ' + (p.proc.image || ''),
      }));
    });
    select.value = String(selected);
    bar.appendChild(el('label', { for: 'vmmap-select', text: 'Snapshot / process ' }));
    bar.appendChild(select);
    sec.appendChild(bar);

    // summary tables, one per pair
    const sumCard = card('Summary', 'What the user half of the address space holds, by type, as VMMap totals it. Sizes in K (1 K = 1,024 bytes).');
    const commitBar = el('div', { class: 'stack-bar', id: 'vmmap-commit-bar' });
    sumCard.appendChild(commitBar);
    const sumWrap = el('div', { class: 'table-wrap', id: 'vmmap-summaries' });
    sumWrap.innerHTML = pairs.map((p) => summaryTableHTML(p.si, p.proc)).join('');
    const sumTables = Array.from(sumWrap.querySelectorAll('table.vmmap-summary'));
    sumCard.appendChild(sumWrap);
    sec.appendChild(sumCard);

    // the map
    const mapCard = card('Map of the user half', null);
    const mapBar = el('div', { class: 'controls' });
    const mode = segmented('vmmap-mode', [{ value: 'compressed', label: 'Compressed' }, { value: 'linear', label: 'Linear' }], 'compressed',
      (v) => { map.setMode(v); });
    mapBar.appendChild(mode.root);
    const reset = el('button', { type: 'button', id: 'vmmap-reset', text: 'Reset zoom' });
    mapBar.appendChild(reset);
    const range = el('span', { class: 'muted range', id: 'vmmap-range' });
    mapBar.appendChild(range);
    mapCard.appendChild(mapBar);
    mapCard.appendChild(el('p', { class: 'sub', text: 'Scroll to zoom around the pointer, drag to pan, double-click a block to zoom to its allocation, click it to find it in the table below. Compressed mode drops the free gaps (each drawn as a thin grey break); linear mode draws the user half to scale.' }));
    const mapWrap = el('div', { class: 'map-wrap' });
    const canvas = el('canvas', { id: 'vmmap-canvas' });
    mapWrap.appendChild(canvas);
    mapCard.appendChild(mapWrap);
    const legend = el('div', { class: 'legend', id: 'vmmap-legend' });
    let lh = '';
    ['Image', 'Private', 'Heap', 'Stack', 'Mapped'].forEach((t, i) => {
      lh += '<span class="item">' + swatch(colorFor(TYPE_COLORS, t, i)) + esc(t) + '</span>';
    });
    lh += '<span class="item"><span class="swatch hatch"></span>reserved</span>';
    lh += '<span class="item">' + swatch(TYPE_COLORS.Free) + 'free</span>';
    lh += '<span class="item"><span class="swatch guard"></span>guard page</span>';
    lh += '<span class="item"><span class="swatch noaccess"></span>no access</span>';
    legend.innerHTML = lh;
    mapCard.appendChild(legend);
    sec.appendChild(mapCard);

    // regions table
    const regCard = card('Regions', null);
    const regSub = el('p', { class: 'sub', id: 'vmmap-regions-caption' });
    regCard.appendChild(regSub);
    const regWrap = el('div', { class: 'table-wrap tall lazy-layout' });
    regCard.appendChild(regWrap);
    sec.appendChild(regCard);

    const map = createVmMap(canvas, range, (regionIndex) => highlightRegionRow(regionIndex, true));
    reset.addEventListener('click', guarded('vmmap reset', () => map.reset()));

    function highlightRegionRow(i, scroll) {
      const table = document.getElementById('vmmap-regions');
      if (!table) return;
      const old = table.querySelector('tr.selected');
      if (old) old.classList.remove('selected');
      const row = table.querySelector('tr[data-index="' + i + '"]');
      if (row) {
        row.classList.add('selected');
        if (scroll) {
          const wrapTop = regWrap.getBoundingClientRect().top;
          // Only the table scrolls: the page stays put, so that a double-click's second click
          // still lands on the map.
          regWrap.scrollTop += row.getBoundingClientRect().top - wrapTop - regWrap.clientHeight / 3;
        }
      }
    }

    function renderRegions(p) {
      const regs = arr(p.proc.regions);
      regSub.textContent = regs.length + ' regions of ' + p.proc.process_id + ' ' + (p.proc.image || '') +
        ' in snapshot ' + snapshotLabel(p.snap, p.si) + '. Free ranges between them are not listed. Click a header to sort.' +
        (num(p.proc.regions_not_listed) > 0 ? ' ' + fmtInt(p.proc.regions_not_listed) + ' more regions, past the first ' +
          fmtInt(regs.length) + ', are counted in the summary but not listed or drawn.' : '');
      const cols = [['base', 'Base', 'num'], ['size', 'Size', 'num'], ['alloc_base', 'Allocation base', 'num'],
        ['state', 'State', ''], ['type', 'Type', ''], ['protect', 'Protection', ''],
        ['committed', 'Committed', 'num'], ['working_set', 'Working Set', 'num'], ['private', 'Private', 'num'],
        ['locked', 'Locked', 'num'], ['flags', 'Flags', ''], ['details', 'Details', '']];
      const parts = ['<table id="vmmap-regions" class="data" data-snapshot="' + p.si + '" data-process-id="' +
        esc(p.proc.process_id) + '"><thead><tr>'];
      for (const [, t, type] of cols) parts.push('<th' + (type ? ' class="num" data-type="num"' : '') + '>' + t + '</th>');
      parts.push('</tr></thead><tbody>');
      regs.forEach((r, i) => {
        const flags = [];
        if (r.guard) flags.push('guard');
        if (r.noaccess) flags.push('no access');
        const ab = r.alloc_base_hex != null ? String(r.alloc_base_hex) : '';
        const abNum = parseInt(ab, 16);
        const base = num(r.base);
        parts.push('<tr data-index="' + i + '" data-base="' + base + '" class="' + (r.state === 'reserve' ? 'reserve' : '') + '">' +
          '<td class="num mono" data-field="base" data-value="' + base + '">' + esc(r.base_hex || hex(base)) + '</td>' +
          '<td class="num" data-field="size" data-value="' + num(r.size) + '">' + fmtK(r.size) + '</td>' +
          '<td class="num mono" data-field="alloc_base" data-value="' + (isNaN(abNum) ? 0 : abNum) + '">' + esc(ab) + '</td>' +
          '<td data-field="state" data-value="' + esc(r.state) + '">' + esc(r.state) + '</td>' +
          '<td data-field="type" data-value="' + esc(r.type) + '">' + swatch(colorFor(TYPE_COLORS, r.type, 0), r.state === 'reserve' ? 'hatch-of' : '') + esc(r.type) + '</td>' +
          '<td data-field="protect" data-value="' + esc(r.protect) + '" class="small">' + esc(r.protect) + '</td>' +
          '<td class="num" data-field="committed" data-value="' + num(r.committed) + '">' + fmtK(r.committed) + '</td>' +
          '<td class="num" data-field="working_set" data-value="' + num(r.working_set) + '">' + fmtK(r.working_set) + '</td>' +
          '<td class="num" data-field="private" data-value="' + num(r.private) + '">' + fmtK(r.private) + '</td>' +
          '<td class="num" data-field="locked" data-value="' + num(r.locked) + '">' + fmtK(r.locked) + '</td>' +
          '<td data-field="flags" data-value="' + flags.join(',') + '">' + flags.map((f) => '<span class="flag ' + (f === 'guard' ? 'guard' : 'noaccess') + '">' + f + '</span>').join(' ') + '</td>' +
          '<td data-field="details" data-value="' + esc(r.details) + '" class="details">' + esc(r.details) + '</td></tr>');
      });
      parts.push('</tbody></table>');
      if (!regs.length) parts.push('<p class="note">This process has no regions.</p>');
      regWrap.innerHTML = parts.join('');
      const table = document.getElementById('vmmap-regions');
      makeSortable(table);
      table.tBodies[0].addEventListener('click', guarded('region row', (e) => {
        const tr = e.target.closest('tr[data-index]');
        if (!tr) return;
        highlightRegionRow(tr.dataset.index, false);
        map.focusRegion(Number(tr.dataset.index));
        mapWrap.scrollIntoView({ block: 'nearest', behavior: 'auto' });
      }));
    }

    function renderCommitBar(p) {
      const rows = new Map(arr(p.proc.summary).map((r) => [r.type, r]));
      const total = rows.get('Total') ? num(rows.get('Total').committed) : 0;
      let h = '<span class="bar-title">Committed</span><div class="bar">';
      let legendHtml = '';
      SUMMARY_TYPES.forEach((t, i) => {
        if (t === 'Total' || t === 'Free') return;
        const r = rows.get(t);
        const v = r ? num(r.committed) : 0;
        if (v <= 0 || total <= 0) return;
        const pct = (100 * v) / total;
        h += '<span style="width:' + pct.toFixed(3) + '%;background:' + colorFor(TYPE_COLORS, t, i) + '" title="' + esc(t) + ': ' + fmtK(v) + '"></span>';
        legendHtml += '<span class="item">' + swatch(colorFor(TYPE_COLORS, t, i)) + esc(t) + '\u00a0' + (pct < 0.1 ? '<0.1' : pct.toFixed(pct < 10 ? 1 : 0)) + '%</span>';
      });
      h += '</div><span class="bar-total">' + fmtK(total) + '</span>';
      commitBar.innerHTML = total > 0 ? h + '<div class="legend compact">' + legendHtml + '</div>' : '<span class="muted">Nothing committed.</span>';
    }

    function choose(i) {
      selected = i;
      const p = pairs[i];
      sumTables.forEach((t, k) => { t.style.display = k === i ? '' : 'none'; });
      renderCommitBar(p);
      guard('vmmap map', () => map.setProcess(p.proc));
      renderRegions(p);
    }
    select.addEventListener('change', guarded('vmmap select', () => choose(Number(select.value))));
    choose(selected);
    onShow('address', () => map.draw());
    onResize(() => { if (currentView === 'address') map.draw(); });
  }

  // The zoomable linear map of one process's user half.
  function createVmMap(canvas, rangeLabel, onPick) {
    const st = {
      mode: 'compressed',
      segs: [],        // {r (region index) or -1 for free, a0, a1, c0, c1}
      allocs: [],      // {c0, c1, a0, label, type, seg0}
      regions: [],
      domain: 1,
      v0: 0, v1: 1,
      focus: -1,
      patterns: {},
    };
    const BAR_TOP = 26, BAR_H = 64, HEIGHT = 124;

    function coord(seg) { return st.mode === 'linear' ? [seg.a0, seg.a1] : [seg.c0, seg.c1]; }

    function build(proc) {
      if (num(proc.user_end) > 0) USER_END = num(proc.user_end);
      const regs = arr(proc.regions).slice();
      st.regions = regs;
      const segs = [];
      let total = 0;
      for (const r of regs) total += Math.max(0, num(r.size));
      const gaps = [];
      let prev = 0;
      regs.forEach((r, i) => {
        const b = num(r.base);
        if (b > prev) gaps.push(i);
        prev = Math.max(prev, b + num(r.size));
      });
      const nGaps = gaps.length + (prev < USER_END ? 1 : 0);
      const gapW = total > 0 ? Math.max(1, Math.min(total * 0.004, (total * 0.25) / Math.max(1, nGaps))) : 1;
      let a = 0, c = 0;
      regs.forEach((r, i) => {
        const b = num(r.base), size = Math.max(0, num(r.size));
        if (b > a) { segs.push({ r: -1, a0: a, a1: b, c0: c, c1: c + gapW }); c += gapW; }
        const s0 = Math.max(b, a);
        const e = Math.max(s0, b + size);
        segs.push({ r: i, a0: s0, a1: e, c0: c, c1: c + (e - s0) });
        c += e - s0;
        a = e;
      });
      if (a < USER_END) { segs.push({ r: -1, a0: a, a1: USER_END, c0: c, c1: c + gapW }); c += gapW; }
      st.segs = segs;
      st.cTotal = c;
      // allocation groups (consecutive regions sharing an allocation base)
      const allocs = [];
      for (let k = 0; k < segs.length; k++) {
        const s = segs[k];
        if (s.r < 0) continue;
        const r = regs[s.r];
        const last = allocs[allocs.length - 1];
        const ab = r.alloc_base_hex || r.base_hex;
        if (last && last.ab === ab && last.seg1 === k - 1) {
          last.c1 = s.c1; last.a1 = s.a1; last.seg1 = k;
        } else {
          let label = '';
          if (r.type === 'Image' || r.type === 'Mapped') label = basename(r.details);
          else label = r.details ? String(r.details) : '';
          allocs.push({ ab, a0: s.a0, a1: s.a1, c0: s.c0, c1: s.c1, seg0: k, seg1: k, label, type: r.type });
        }
      }
      st.allocs = allocs;
    }

    function domainEnd() { return st.mode === 'linear' ? USER_END : Math.max(1, st.cTotal); }
    function minSpan() { return 4096 * 2; }
    function reset() { st.v0 = 0; st.v1 = domainEnd(); draw(); }
    function clampView() {
      const D = domainEnd();
      let span = Math.min(D, Math.max(minSpan(), st.v1 - st.v0));
      let v0 = Math.max(0, Math.min(st.v0, D - span));
      st.v0 = v0; st.v1 = v0 + span;
    }

    function setMode(m) {
      // keep the same address range in view across modes when possible
      const [a0, a1] = visibleAddressRange();
      st.mode = m;
      if (a1 > a0 && !(st.v0 === 0 && st.v1 >= prevDomain)) {
        st.v0 = addrToCoord(a0); st.v1 = addrToCoord(a1);
        if (st.v1 - st.v0 < minSpan()) { reset(); return; }
        clampView();
      } else {
        st.v0 = 0; st.v1 = domainEnd();
      }
      prevDomain = domainEnd();
      draw();
    }
    let prevDomain = 1;

    function segIndexAtCoord(cv) { // first seg whose end > cv
      const segs = st.segs;
      const lin = st.mode === 'linear';
      return upperBound(segs.length, (i) => (lin ? segs[i].a1 : segs[i].c1) > cv);
    }
    function addrToCoord(addr) {
      if (st.mode === 'linear') return addr;
      const segs = st.segs;
      const i = upperBound(segs.length, (k) => segs[k].a1 > addr);
      if (i >= segs.length) return st.cTotal;
      const s = segs[i];
      if (s.r < 0) return s.c0 + ((addr - s.a0) / Math.max(1, s.a1 - s.a0)) * (s.c1 - s.c0);
      return s.c0 + (addr - s.a0);
    }
    function coordToAddr(cv) {
      if (st.mode === 'linear') return cv;
      const segs = st.segs;
      const i = upperBound(segs.length, (k) => segs[k].c1 > cv);
      if (i >= segs.length) return USER_END;
      const s = segs[i];
      if (s.r < 0) return s.a0 + ((cv - s.c0) / Math.max(1e-9, s.c1 - s.c0)) * (s.a1 - s.a0);
      return s.a0 + (cv - s.c0);
    }
    function visibleAddressRange() {
      if (!st.segs.length) return [0, 0];
      return [coordToAddr(st.v0), coordToAddr(st.v1)];
    }

    function pattern(ctx, color, kind) {
      const key = kind + color;
      if (st.patterns[key]) return st.patterns[key];
      const p = document.createElement('canvas');
      p.width = 8; p.height = 8;
      const g = p.getContext('2d');
      if (kind === 'hatch') {
        g.fillStyle = tint(color, 0.72);
        g.fillRect(0, 0, 8, 8);
        g.strokeStyle = color;
        g.lineWidth = 1.6;
        g.beginPath();
        g.moveTo(-2, 10); g.lineTo(10, -2);
        g.moveTo(-2, 2); g.lineTo(2, -2);
        g.moveTo(6, 10); g.lineTo(10, 6);
        g.stroke();
      } else { // noaccess cross-hatch overlay
        g.strokeStyle = 'rgba(40,40,40,0.55)';
        g.lineWidth = 1;
        g.beginPath();
        g.moveTo(0, 0); g.lineTo(8, 8); g.moveTo(8, 0); g.lineTo(0, 8);
        g.stroke();
      }
      return (st.patterns[key] = ctx.createPattern(p, 'repeat'));
    }

    function draw() {
      const W = canvas.parentElement ? canvas.parentElement.clientWidth : 0;
      if (W <= 0) return; // hidden: drawn when shown
      const dpr = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(HEIGHT * dpr)) {
        canvas.width = Math.round(W * dpr);
        canvas.height = Math.round(HEIGHT * dpr);
        canvas.style.width = W + 'px';
        canvas.style.height = HEIGHT + 'px';
      }
      const ctx = canvas.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, W, HEIGHT);
      ctx.font = '11px ' + CHART_FONT;
      ctx.textBaseline = 'middle';
      const segs = st.segs;
      if (!segs.length) {
        ctx.fillStyle = '#666';
        ctx.fillText('No regions.', 8, BAR_TOP + BAR_H / 2);
        return;
      }
      clampView();
      const v0 = st.v0, v1 = st.v1;
      const scale = W / (v1 - v0);
      const lin = st.mode === 'linear';
      const X = (cv) => (cv - v0) * scale;
      // background = free
      ctx.fillStyle = TYPE_COLORS.Free;
      ctx.fillRect(0, BAR_TOP, W, BAR_H);
      let lastAllocPx = -10;
      const start = segIndexAtCoord(v0);
      for (let k = start; k < segs.length; k++) {
        const s = segs[k];
        const c0 = lin ? s.a0 : s.c0, c1 = lin ? s.a1 : s.c1;
        if (c0 >= v1) break;
        let x0 = X(c0), x1 = X(c1);
        if (x1 < 0) continue;
        x0 = Math.max(-2, x0); x1 = Math.min(W + 2, x1);
        if (s.r < 0) {
          if (!lin) { // compressed: a thin break
            const w = x1 - x0;
            ctx.fillStyle = '#f4f5f7';
            ctx.fillRect(x0, BAR_TOP - 4, Math.max(1, w), BAR_H + 8);
            ctx.strokeStyle = '#9aa3ad';
            ctx.lineWidth = 1;
            ctx.beginPath();
            const mx = (x0 + x1) / 2;
            if (w >= 5) {
              ctx.moveTo(mx - 3, BAR_TOP - 4); ctx.lineTo(mx + 1, BAR_TOP + BAR_H + 4);
              ctx.moveTo(mx - 1, BAR_TOP - 4); ctx.lineTo(mx + 3, BAR_TOP + BAR_H + 4);
            } else {
              ctx.moveTo(Math.round(mx) + 0.5, BAR_TOP - 2); ctx.lineTo(Math.round(mx) + 0.5, BAR_TOP + BAR_H + 2);
            }
            ctx.stroke();
          }
          continue;
        }
        const r = st.regions[s.r];
        const color = colorFor(TYPE_COLORS, r.type, 1);
        const w = Math.max(1, x1 - x0);
        if (r.state === 'reserve') ctx.fillStyle = pattern(ctx, color, 'hatch');
        else ctx.fillStyle = color;
        ctx.fillRect(x0, BAR_TOP, w, BAR_H);
        if (r.noaccess) {
          ctx.fillStyle = pattern(ctx, '#000', 'noaccess');
          ctx.fillRect(x0, BAR_TOP, w, BAR_H);
        }
        if (r.guard) {
          ctx.fillStyle = '#d32f2f';
          ctx.fillRect(x0, BAR_TOP - 6, Math.max(2, w), 6);
          if (w < 3) ctx.fillRect(x0 - 1, BAR_TOP, 3, BAR_H);
        }
        // separators: strong at an allocation start, faint between regions of one allocation
        if (x0 - lastAllocPx >= 3 && w >= 3) {
          const prevSeg = segs[k - 1];
          const newAlloc = !prevSeg || prevSeg.r < 0 || (st.regions[prevSeg.r].alloc_base_hex || '') !== (r.alloc_base_hex || '');
          ctx.fillStyle = newAlloc ? 'rgba(255,255,255,0.95)' : 'rgba(255,255,255,0.45)';
          ctx.fillRect(Math.round(x0), BAR_TOP, 1, BAR_H);
          lastAllocPx = x0;
        }
        if (k === st.focusSeg) {
          ctx.strokeStyle = '#111';
          ctx.lineWidth = 2;
          ctx.strokeRect(x0 + 1, BAR_TOP + 1, Math.max(1, w - 2), BAR_H - 2);
        }
      }
      // labels of allocations, where there is room
      ctx.fillStyle = '#1f2933';
      const ai = upperBound(st.allocs.length, (i) => (lin ? st.allocs[i].a1 : st.allocs[i].c1) > v0);
      const tickXs = [];
      for (let i = ai; i < st.allocs.length; i++) {
        const a = st.allocs[i];
        const c0 = lin ? a.a0 : a.c0, c1 = lin ? a.a1 : a.c1;
        if (c0 >= v1) break;
        const x0 = Math.max(0, X(c0)), x1 = Math.min(W, X(c1));
        const w = x1 - x0;
        if (!lin) tickXs.push([X(c0), a.a0]);
        if (w < 24 || !a.label) continue;
        let text = a.label;
        let tw = ctx.measureText(text).width;
        if (tw > w - 8) {
          while (text.length > 3 && tw > w - 8) { text = text.slice(0, -2); tw = ctx.measureText(text + '\u2026').width; }
          text += '\u2026';
          if (tw > w - 8) continue;
        }
        ctx.fillStyle = 'rgba(255,255,255,0.78)';
        ctx.fillRect(x0 + (w - tw) / 2 - 3, BAR_TOP + BAR_H / 2 - 8, tw + 6, 16);
        ctx.fillStyle = '#1f2933';
        ctx.fillText(text, x0 + (w - tw) / 2, BAR_TOP + BAR_H / 2);
      }
      // address axis
      ctx.fillStyle = '#52606d';
      ctx.strokeStyle = '#9aa5b1';
      ctx.lineWidth = 1;
      const axisY = BAR_TOP + BAR_H + 8;
      const ticks = [];
      if (lin) {
        const span = v1 - v0;
        let step = Math.pow(2, Math.ceil(Math.log2(span / Math.max(1, W / 130))));
        step = Math.max(4096, step);
        for (let a = Math.ceil(v0 / step) * step; a <= v1; a += step) ticks.push([X(a), a]);
      } else {
        let last = -1e9;
        for (const [x, a] of tickXs) {
          if (x < 0 || x > W) continue;
          if (x - last >= 110) { ticks.push([x, a]); last = x; }
        }
      }
      ctx.beginPath();
      for (const [x] of ticks) { const px = Math.round(x) + 0.5; ctx.moveTo(px, axisY - 4); ctx.lineTo(px, axisY + 2); }
      ctx.stroke();
      ctx.textBaseline = 'top';
      for (const [x, a] of ticks) {
        const t = hex(a);
        const tw = ctx.measureText(t).width;
        ctx.fillText(t, Math.min(W - tw - 2, Math.max(2, x - tw / 2)), axisY + 5);
      }
      // range label above
      const [a0, a1] = visibleAddressRange();
      ctx.textBaseline = 'middle';
      ctx.fillStyle = '#52606d';
      const lt = hex(a0), rt = hex(a1);
      ctx.fillText(lt, 2, 10);
      ctx.fillText(rt, W - ctx.measureText(rt).width - 2, 10);
      const full = st.v0 <= 0 && st.v1 >= domainEnd();
      // Compressed, the view's width is the regions' bytes in it (the gaps are drawn thin).
      const shown = st.mode === 'compressed' ? fmtBytes(st.v1 - st.v0) + ' of regions (free gaps dropped)'
        : fmtBytes(a1 - a0) + ' of address space';
      rangeLabel.textContent = (full ? 'Whole user half' : 'Showing ' + hex(a0) + ' \u2013 ' + hex(a1)) + ' \u00b7 ' + shown;
    }

    let pending = false;
    function drawSoon() {
      if (pending) return;
      pending = true;
      const run = () => { if (!pending) return; pending = false; guard('vmmap draw', draw); };
      requestAnimationFrame(run);
      setTimeout(run, 40); // background tabs and headless runs may not deliver frames
    }

    function hit(mx, W) {
      const segs = st.segs;
      if (!segs.length) return -1;
      const lin = st.mode === 'linear';
      const scale = (st.v1 - st.v0) / W;
      const cv = st.v0 + mx * scale;
      const k = segIndexAtCoord(cv);
      if (k < segs.length && segs[k].r >= 0 && (lin ? segs[k].a0 : segs[k].c0) <= cv) return k;
      // nearest region within 3 px (tiny regions are drawn 1 px wide)
      const lo = segIndexAtCoord(cv - 3 * scale);
      let best = -1, bestD = Infinity;
      for (let i = lo; i < segs.length; i++) {
        const s = segs[i];
        const c0 = lin ? s.a0 : s.c0, c1 = lin ? s.a1 : s.c1;
        if (c0 > cv + 3 * scale) break;
        if (s.r < 0) continue;
        const d = cv < c0 ? c0 - cv : cv > c1 ? cv - c1 : 0;
        if (d < bestD) { bestD = d; best = i; }
      }
      if (best >= 0) return best;
      return k < segs.length ? k : -1;
    }

    function tipFor(k) {
      const s = st.segs[k];
      if (s.r < 0) {
        return tipRows('Free', [['Base', esc(hex(s.a0))], ['Size', esc(fmtBytes(s.a1 - s.a0)) + ' (' + fmtK(s.a1 - s.a0) + ')'], ['State', 'free']]);
      }
      const r = st.regions[s.r];
      const flags = [r.guard ? 'guard' : '', r.noaccess ? 'no access' : ''].filter(Boolean).join(', ');
      const rows = [
        ['Base', esc(r.base_hex || hex(r.base))],
        ['Size', esc(fmtBytes(r.size)) + ' (' + fmtK(r.size) + ')'],
        ['State', esc(r.state)],
        ['Type', swatch(colorFor(TYPE_COLORS, r.type, 0)) + esc(r.type)],
        ['Protect', esc(r.protect || '\u2014')],
        ['Committed', fmtK(r.committed)],
        ['Working set', fmtK(r.working_set)],
      ];
      if (flags) rows.push(['Flags', esc(flags)]);
      if (r.alloc_base_hex) rows.push(['Allocation', esc(r.alloc_base_hex)]);
      if (r.details) rows.push(['Details', esc(r.details)]);
      return tipRows(esc(r.type) + ' region', rows);
    }

    let drag = null;
    canvas.addEventListener('wheel', guarded('vmmap wheel', (e) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const W = rect.width || 1;
      const mx = e.clientX - rect.left;
      const span = st.v1 - st.v0;
      const cv = st.v0 + (mx / W) * span;
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      const f = Math.exp(Math.max(-2, Math.min(2, dy * 0.0022)));
      const D = domainEnd();
      const ns = Math.min(D, Math.max(minSpan(), span * f));
      st.v0 = cv - (mx / W) * ns;
      st.v1 = st.v0 + ns;
      clampView();
      hideTip();
      drawSoon();
    }), { passive: false });
    canvas.addEventListener('mousedown', guarded('vmmap drag', (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, v0: st.v0, moved: false };
      canvas.classList.add('dragging');
      e.preventDefault();
    }));
    window.addEventListener('mousemove', guarded('vmmap drag', (e) => {
      if (!drag) return;
      const W = canvas.getBoundingClientRect().width || 1;
      const dx = e.clientX - drag.x;
      if (Math.abs(dx) > 3) drag.moved = true;
      const span = st.v1 - st.v0;
      st.v0 = drag.v0 - (dx / W) * span;
      st.v1 = st.v0 + span;
      clampView();
      drawSoon();
    }));
    window.addEventListener('mouseup', guarded('vmmap drag', (e) => {
      if (!drag) return;
      const moved = drag.moved;
      drag = null;
      canvas.classList.remove('dragging');
      if (!moved && e.target === canvas) {
        const rect = canvas.getBoundingClientRect();
        const k = hit(e.clientX - rect.left, rect.width || 1);
        if (k >= 0 && st.segs[k].r >= 0) {
          st.focusSeg = k;
          draw();
          onPick(st.segs[k].r);
        }
      }
    }));
    canvas.addEventListener('dblclick', guarded('vmmap zoom', (e) => {
      const rect = canvas.getBoundingClientRect();
      const k = hit(e.clientX - rect.left, rect.width || 1);
      if (k < 0) return;
      const a = st.allocs.find((x) => x.seg0 <= k && k <= x.seg1);
      const s = st.segs[k];
      const lin = st.mode === 'linear';
      let c0 = a ? (lin ? a.a0 : a.c0) : (lin ? s.a0 : s.c0);
      let c1 = a ? (lin ? a.a1 : a.c1) : (lin ? s.a1 : s.c1);
      const pad = (c1 - c0) * 0.15;
      st.v0 = c0 - pad; st.v1 = c1 + pad;
      clampView();
      draw();
    }));
    canvas.addEventListener('mousemove', guarded('vmmap hover', (e) => {
      if (drag) return;
      const rect = canvas.getBoundingClientRect();
      const my = e.clientY - rect.top;
      if (my < BAR_TOP - 8 || my > BAR_TOP + BAR_H + 4) { hideTip(); return; }
      const k = hit(e.clientX - rect.left, rect.width || 1);
      if (k < 0) { hideTip(); return; }
      showTip(tipFor(k), e.clientX, e.clientY);
    }));
    canvas.addEventListener('mouseleave', hideTip);

    return {
      setProcess(proc) {
        build(proc);
        st.focusSeg = -1;
        st.v0 = 0; st.v1 = domainEnd(); prevDomain = domainEnd();
        draw();
      },
      setMode,
      reset,
      draw: () => guard('vmmap draw', draw),
      focusRegion(i) {
        const k = st.segs.findIndex((s) => s.r === i);
        if (k < 0) return;
        st.focusSeg = k;
        const s = st.segs[k];
        const lin = st.mode === 'linear';
        const c0 = lin ? s.a0 : s.c0, c1 = lin ? s.a1 : s.c1;
        if (c0 < st.v0 || c1 > st.v1 || (c1 - c0) < (st.v1 - st.v0) / 400) {
          const span = Math.max(minSpan(), (c1 - c0) * 8);
          st.v0 = (c0 + c1) / 2 - span / 2; st.v1 = st.v0 + span;
          clampView();
        }
        draw();
      },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Physical memory (RAMMap).

  function decodeRuns(runs, out, total) {
    let pos = 0;
    for (const run of arr(runs)) {
      if (pos >= total) break;
      const v = num(run[0]), c = Math.max(0, num(run[1]));
      const end = Math.min(total, pos + c);
      out.fill(v, pos, end);
      pos = end;
    }
    return pos;
  }

  function renderPhysical(sec) {
    sec.appendChild(el('h2', { class: 'view-title', text: 'Physical memory' }));
    const snaps = arr(M.snapshots);
    const withPhys = snaps.map((s, i) => ({ s, i })).filter((x) => x.s && x.s.physical);
    if (!withPhys.length) {
      sec.appendChild(note('No snapshot recorded physical memory.'));
      return;
    }
    const pageSize = num(M.page_size) || 4096;
    let sel = withPhys.findIndex((x) => x.i === num(M.default_snapshot));
    if (sel < 0) sel = withPhys.length - 1;
    let colourBy = 'list';
    let focus = null; // legend item shown alone

    const bar = el('div', { class: 'controls' });
    const select = el('select', { id: 'physical-select', 'aria-label': 'Snapshot' });
    withPhys.forEach((x, k) => select.appendChild(el('option', { value: String(k), 'data-snapshot': x.i, text: snapshotLabel(x.s, x.i) })));
    select.value = String(sel);
    bar.appendChild(el('label', { for: 'physical-select', text: 'Snapshot ' }));
    bar.appendChild(select);
    const seg = segmented('physical-colour', [{ value: 'list', label: 'Colour by list' }, { value: 'use', label: 'Colour by use' }], 'list',
      (v) => { colourBy = v; focus = null; refresh(); });
    bar.appendChild(seg.root);
    sec.appendChild(bar);

    const gridCard = card('Every physical frame', null);
    const gridSub = el('p', { class: 'sub', id: 'physical-caption' });
    gridCard.appendChild(gridSub);
    const listBar = el('div', { class: 'stack-bar', id: 'physical-list-bar' });
    gridCard.appendChild(listBar);
    const legend = el('div', { class: 'legend', id: 'physical-legend' });
    gridCard.appendChild(legend);
    const gridWrap = el('div', { class: 'grid-wrap' });
    const canvas = el('canvas', { id: 'physical-canvas' });
    gridWrap.appendChild(canvas);
    gridCard.appendChild(gridWrap);
    sec.appendChild(gridCard);

    const ucCard = card('Use counts', 'RAMMap\u2019s Use Counts: what each frame is used for (rows) against the list it is on (columns). Sizes in K.');
    const ucWrap = el('div', { class: 'table-wrap', id: 'use-counts' });
    let uh = '';
    for (const x of withPhys) uh += useCountsHTML(x.i, x.s.physical, pageSize);
    ucWrap.innerHTML = uh;
    const ucTables = Array.from(ucWrap.querySelectorAll('table.use-counts'));
    ucCard.appendChild(ucWrap);
    sec.appendChild(ucCard);

    const decoded = new Map();
    function decode(k) {
      if (decoded.has(k)) return decoded.get(k);
      const ph = withPhys[k].s.physical;
      const total = Math.max(0, Math.floor(num(ph.total)));
      const state = new Uint8Array(total).fill(255);
      const use = new Uint8Array(total).fill(255);
      const owner = new Uint32Array(total);
      decodeRuns(ph.state, state, total);
      decodeRuns(ph.use, use, total);
      decodeRuns(ph.owner, owner, total);
      const lists = arr(ph.lists), uses = arr(ph.uses);
      const listCounts = new Array(lists.length).fill(0);
      const useCounts = new Array(uses.length).fill(0);
      let unknown = 0;
      for (let i = 0; i < total; i++) {
        const s = state[i];
        if (s < listCounts.length) listCounts[s]++; else unknown++;
        const u = use[i];
        if (u < useCounts.length) useCounts[u]++;
      }
      const d = { total, first: num(ph.first_pfn), state, use, owner, lists, uses, listCounts, useCounts, unknown };
      decoded.set(k, d);
      return d;
    }

    function palette(d) {
      const names = colourBy === 'list' ? d.lists : d.uses;
      const map = colourBy === 'list' ? LIST_COLORS : USE_COLORS;
      return names.map((n, i) => colorFor(map, n, i + 3));
    }

    function renderLegend(d) {
      const names = colourBy === 'list' ? d.lists : d.uses;
      const counts = colourBy === 'list' ? d.listCounts : d.useCounts;
      const cols = palette(d);
      let h = '';
      names.forEach((n, i) => {
        const on = focus === null || focus === i;
        h += '<button type="button" class="item' + (on ? '' : ' off') + '" data-index="' + i + '" data-name="' + esc(n) + '" data-value="' + counts[i] + '" title="Show only ' + esc(n) + ' (click again for all)">' +
          swatch(cols[i]) + esc(n) + ' <span class="count">' + fmtInt(counts[i]) + '</span> <span class="muted">(' + fmtK(counts[i] * pageSize) + ')</span></button>';
      });
      if (d.unknown) h += '<span class="item">' + swatch('#000') + 'unknown <span class="count">' + fmtInt(d.unknown) + '</span></span>';
      legend.innerHTML = h;
      // per-list totals bar
      let b = '<span class="bar-title">' + (colourBy === 'list' ? 'Lists' : 'Uses') + '</span><div class="bar">';
      names.forEach((n, i) => {
        if (!counts[i] || !d.total) return;
        b += '<span style="width:' + ((100 * counts[i]) / d.total).toFixed(3) + '%;background:' + cols[i] + '" title="' + esc(n) + ': ' + fmtInt(counts[i]) + ' pages"></span>';
      });
      b += '</div><span class="bar-total">' + fmtInt(d.total) + ' frames</span>';
      listBar.innerHTML = b;
    }
    legend.addEventListener('click', guarded('physical legend', (e) => {
      const b = e.target.closest('button[data-index]');
      if (!b) return;
      const i = Number(b.dataset.index);
      focus = focus === i ? null : i;
      refresh();
    }));

    let layout = null;
    const emptyGrid = note('This snapshot recorded no physical frames.');
    emptyGrid.hidden = true;
    gridWrap.appendChild(emptyGrid);
    function draw() {
      const d = decode(sel);
      emptyGrid.hidden = d.total > 0;
      canvas.style.display = d.total > 0 ? '' : 'none';
      if (!d.total) { layout = null; gridSub.textContent = ''; return; }
      const W = gridWrap.clientWidth;
      if (W <= 0) return;
      const LABEL_W = 64;
      const avail = Math.max(64, W - LABEL_W - 4);
      const total = d.total;
      let cell = 1, cols = avail;
      for (const c of [10, 8, 6, 5, 4, 3, 2, 1]) {
        let n = Math.floor(avail / c);
        if (n >= 128) n -= n % 64; else if (n >= 32) n -= n % 16;
        if (n <= 0) continue;
        const rows = Math.ceil(total / n);
        cell = c; cols = n;
        if (rows * c <= 800) break;
      }
      cols = Math.max(1, Math.min(cols, Math.max(1, total)));
      const rows = Math.max(1, Math.ceil(total / cols));
      const gw = cols * cell, gh = rows * cell;
      const cw = LABEL_W + gw, ch = gh;
      canvas.width = cw; canvas.height = ch;
      canvas.style.width = cw + 'px'; canvas.style.height = ch + 'px';
      const ctx = canvas.getContext('2d');
      const img = ctx.createImageData(gw, gh);
      const px = new Uint32Array(img.data.buffer);
      const cols32 = palette(d).map((c, i) => {
        let [r, g, b] = hexToRgb(c);
        if (focus !== null && focus !== i) { r = Math.round(r + (255 - r) * 0.85); g = Math.round(g + (255 - g) * 0.85); b = Math.round(b + (255 - b) * 0.85); }
        return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
      });
      const bad32 = 0xff000000 >>> 0;
      const src = colourBy === 'list' ? d.state : d.use;
      const gap = cell >= 4 ? 1 : 0;
      const inner = cell - gap;
      px.fill(0xffffffff >>> 0);
      for (let i = 0; i < total; i++) {
        const v = src[i];
        const color = v < cols32.length ? cols32[v] : bad32;
        const r = (i / cols) | 0, c = i - r * cols;
        let o = r * cell * gw + c * cell;
        for (let y = 0; y < inner; y++, o += gw) {
          for (let x = 0; x < inner; x++) px[o + x] = color;
        }
      }
      ctx.clearRect(0, 0, cw, ch);
      ctx.putImageData(img, LABEL_W, 0);
      // row labels: pfn at the start of rows, every ~40 px
      ctx.font = '10px ' + CHART_FONT;
      ctx.fillStyle = '#52606d';
      ctx.textBaseline = 'top';
      const every = Math.max(1, Math.ceil(40 / cell));
      for (let r = 0; r < rows; r += every) {
        const t = hex(d.first + r * cols);
        ctx.fillText(t, LABEL_W - 6 - ctx.measureText(t).width, r * cell);
      }
      layout = { cell, cols, rows, total, LABEL_W };
      gridSub.textContent = fmtInt(total) + ' frames from pfn ' + hex(d.first) + ' to ' + hex(d.first + total - 1) +
        ' (' + fmtBytes(total * pageSize) + '), ' + cols + ' per row, one ' + cell + '\u00d7' + cell + ' px cell per frame. Hover a cell for its frame; click a legend entry to show only that ' + (colourBy === 'list' ? 'list' : 'use') + '.';
    }

    canvas.addEventListener('mousemove', guarded('physical hover', (e) => {
      if (!layout) return;
      const rect = canvas.getBoundingClientRect();
      const x = e.clientX - rect.left - layout.LABEL_W, y = e.clientY - rect.top;
      if (x < 0 || y < 0) { hideTip(); return; }
      const c = Math.floor(x / layout.cell), r = Math.floor(y / layout.cell);
      if (c >= layout.cols) { hideTip(); return; }
      const i = r * layout.cols + c;
      if (i < 0 || i >= layout.total) { hideTip(); return; }
      const d = decode(sel);
      const li = d.state[i], ui = d.use[i], pid = d.owner[i];
      const listName = li < d.lists.length ? d.lists[li] : 'unknown';
      const useName = ui < d.uses.length ? d.uses[ui] : 'unknown';
      const rows = [
        ['PFN', esc(hex(d.first + i))],
        ['List', swatch(colorFor(LIST_COLORS, listName, li + 3)) + esc(listName)],
        ['Use', swatch(colorFor(USE_COLORS, useName, ui + 3)) + esc(useName)],
        ['Process', pid ? esc(pid) + ' ' + esc(procName(pid)) : '<span class="muted">none / system</span>'],
      ];
      showTip(tipRows('Frame ' + esc(hex(d.first + i)), rows), e.clientX, e.clientY);
    }));
    canvas.addEventListener('mouseleave', hideTip);

    function refresh() {
      const d = decode(sel);
      seg.set(colourBy);
      renderLegend(d);
      draw();
    }
    function choose(k) {
      sel = k;
      focus = null;
      ucTables.forEach((t) => { t.style.display = Number(t.dataset.snapshot) === withPhys[k].i ? '' : 'none'; });
      refresh();
    }
    select.addEventListener('change', guarded('physical select', () => choose(Number(select.value))));
    choose(sel);
    onShow('physical', () => draw());
    onResize(() => { if (currentView === 'physical') draw(); });
  }

  function useCountsHTML(snapIndex, ph, pageSize) {
    const rows = arr(ph.use_counts);
    const uses = arr(ph.uses);
    let s = '<table class="use-counts data" data-snapshot="' + snapIndex + '"><thead><tr><th>Usage</th><th class="num" data-type="num">Total</th>';
    for (const l of USE_COUNT_LISTS) s += '<th class="num" data-type="num">' + swatch(colorFor(LIST_COLORS, l, 0)) + esc(LIST_TITLES[l] || l) + '</th>';
    s += '</tr></thead><tbody>';
    if (!rows.length) s += '<tr><td colspan="10" class="muted">No use counts recorded.</td></tr>';
    for (const r of rows) {
      const isTotal = r.use === 'Total';
      const ui = uses.indexOf(r.use);
      s += '<tr data-use="' + esc(r.use) + '"' + (isTotal ? ' class="total"' : '') + '><td>' +
        (isTotal ? '' : swatch(colorFor(USE_COLORS, r.use, ui + 3))) + esc(r.use) + '</td>';
      const cell = (list, pages) => {
        const v = num(pages);
        return '<td class="num' + (v === 0 ? ' zero' : '') + '" data-list="' + list + '" data-value="' + v + '">' + fmtK(v * pageSize) + '</td>';
      };
      s += cell('Total', r.total);
      for (const l of USE_COUNT_LISTS) s += cell(l, r[l]);
      s += '</tr>';
    }
    return s + '</tbody></table>';
  }

  // ---------------------------------------------------------------------------------------------
  // Timeline.

  function renderTimeline(sec) {
    sec.appendChild(el('h2', { class: 'view-title', text: 'Timeline' }));
    const tl = M.timeline || {};
    const buckets = arr(tl.buckets);
    const samples = arr(tl.samples);
    const kinds = arr(M.fault_kinds).map(String);

    // (a) faults per bucket
    const fc = card('Page faults over time', 'Faults per kind in equal time slices of the run. Click a bar to list the faults in that slice.');
    sec.appendChild(fc);
    const panel = el('div', { id: 'bucket-panel', class: 'bucket-panel' });
    // Slices are of time, or of the faults' order when the run's clock never moved.
    const byTime = !(M.timeline && M.timeline.axis === 'fault number');
    const sliceText = (b) => (byTime ? fmtMs(b.t0) + '\u2013' + fmtMs(b.t1) + ' ms'
      : 'faults ' + (Math.round(num(b.t0)) + 1) + '\u2013' + Math.round(num(b.t1)));
    let faultChart = null;
    let selectedBucket = -1;
    guard('timeline: faults', () => {
      if (!buckets.length) {
        fc.appendChild(note('No faults were recorded over time in this run.'));
      } else {
        const { box, canvas } = chartBox(300, 'faults-chart');
        fc.appendChild(box);
        fc.appendChild(panel);
        const highlight = {
          id: 'ntoyBucketHighlight',
          beforeDatasetsDraw(chart) {
            if (selectedBucket < 0) return;
            const meta = chart.getDatasetMeta(0);
            const bar = meta && meta.data && meta.data[selectedBucket];
            if (!bar) return;
            const x = chart.scales.x;
            const w = buckets.length > 1 ? Math.abs(x.getPixelForValue(1) - x.getPixelForValue(0)) : chart.chartArea.right - chart.chartArea.left;
            const ctx = chart.ctx;
            ctx.save();
            ctx.fillStyle = 'rgba(255, 200, 40, 0.25)';
            ctx.fillRect(bar.x - w / 2, chart.chartArea.top, w, chart.chartArea.bottom - chart.chartArea.top);
            ctx.restore();
          },
        };
        faultChart = makeChart('timeline', canvas, {
          type: 'bar',
          data: {
            labels: buckets.map((b) => (byTime ? fmtMs(b.t0) : String(Math.round(num(b.t0)) + 1))),
            datasets: kinds.map((k, i) => ({
              label: k,
              data: buckets.map((b) => num(arr(b.counts)[i])),
              backgroundColor: colorFor(KIND_COLORS, k, i),
              borderWidth: 0,
              barPercentage: 1,
              categoryPercentage: buckets.length > 60 ? 1 : 0.9,
              stack: 'faults',
            })),
          },
          options: {
            interaction: { mode: 'index', intersect: false },
            scales: {
              x: { stacked: true, title: { display: true, text: byTime ? 'slice start (ms)' : 'fault number (the run\'s clock did not move)' }, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 }, grid: { display: false } },
              y: { stacked: true, beginAtZero: true, title: { display: true, text: 'faults' }, ticks: { precision: 0 } },
            },
            plugins: {
              legend: { position: 'top', labels: { boxWidth: 12, font: { family: CHART_FONT } } },
              tooltip: {
                filter: (item) => item.raw > 0,
                callbacks: {
                  title: (items) => {
                    const b = items.length ? buckets[items[0].dataIndex] : null;
                    return b ? sliceText(b) : '';
                  },
                  footer: (items) => {
                    const b = items.length ? buckets[items[0].dataIndex] : null;
                    return b ? 'total ' + arr(b.counts).reduce((a, c) => a + num(c), 0) + ' \u00b7 click for the list' : '';
                  },
                },
              },
            },
            onClick: (evt, elements, chart) => guard('fault chart click', () => {
              const pts = chart.getElementsAtEventForMode(evt, 'index', { intersect: false }, false);
              if (pts.length) showBucket(pts[0].index);
            }),
          },
          plugins: [highlight],
        });
        // preselect the busiest bucket so the panel is not empty
        let best = 0, bestN = -1;
        buckets.forEach((b, i) => {
          const n = arr(b.counts).reduce((a, c) => a + num(c), 0);
          if (n > bestN) { bestN = n; best = i; }
        });
        showBucket(best, true);
      }
    });

    function showBucket(i, initial) {
      const b = buckets[i];
      if (!b) return;
      selectedBucket = i;
      if (faultChart) faultChart.draw();
      const events = arr(b.events);
      const total = arr(b.counts).reduce((a, c) => a + num(c), 0);
      let h = '<h3>Slice ' + (i + 1) + ' of ' + buckets.length + ': ' + sliceText(b) + ' \u00b7 ' +
        fmtInt(total) + ' fault' + (total === 1 ? '' : 's') + (initial ? ' <span class="muted">(the busiest; click a bar for another)</span>' : '') + '</h3>';
      if (!events.length && !num(b.more)) {
        h += '<p class="note">No faults in this time slice.</p>';
      } else {
        const cols = ['n', 't (ms)', 'pid', 'tid', 'kind', 'decision', 'access', 'va', 'rip', 'region', 'result'];
        h += '<div class="table-wrap"><table id="bucket-events" class="data" data-bucket="' + i + '"><thead><tr>';
        for (const c of cols) h += '<th>' + esc(c) + '</th>';
        h += '</tr></thead><tbody>';
        for (const ev of events) {
          h += '<tr data-n="' + esc(ev.n) + '"><td class="num">' + esc(ev.n) + '</td><td class="num">' + esc(fmtMs(ev.t)) + '</td><td class="num">' +
            esc(ev.process_id) + '</td><td class="num">' + esc(ev.thread_id) + '</td><td>' + swatch(colorFor(KIND_COLORS, ev.kind, kinds.indexOf(ev.kind))) +
            esc(ev.kind) + '</td><td' + (ev.decision && ev.decision !== 'resolved' ? ' class="warn"' : '') + '>' + esc(ev.decision) + '</td><td>' + esc(ev.access) +
            '</td><td class="mono">' + esc(ev.va_hex) + '</td><td class="mono">' + esc(ev.rip_hex) + '</td><td class="small">' +
            (ev.region == null ? '<span class="muted">none</span>' : esc(ev.region)) + '</td><td class="small">' + esc(ev.result) + '</td></tr>';
        }
        h += '</tbody></table></div>';
        if (num(b.more) > 0) h += '<p class="more" id="bucket-more" data-value="' + num(b.more) + '">and ' + fmtInt(b.more) + ' more</p>';
      }
      panel.innerHTML = h;
    }

    // (b) commit and working sets
    guard('timeline: memory', () => {
      const mc = card('Commit charge and working sets', 'Pages over time: the system commit charge and each live process\u2019s working set.');
      sec.appendChild(mc);
      if (!samples.length) {
        mc.appendChild(note('No memory samples were recorded in this run.'));
      } else {
        const { box, canvas } = chartBox(280, 'memory-chart');
        mc.appendChild(box);
        const pids = [];
        for (const s of samples) for (const k of Object.keys(s.working_sets || {})) if (!pids.includes(k)) pids.push(k);
        const datasets = [{
          label: 'commit charge', data: samples.map((s) => ({ x: num(s.t), y: num(s.commit_pages) })),
          borderColor: '#1f2933', backgroundColor: '#1f2933', borderWidth: 2, pointRadius: 0, tension: 0,
        }];
        if (samples.some((s) => num(s.pagefile_used_pages) > 0)) {
          datasets.push({
            label: 'paging file used', data: samples.map((s) => ({ x: num(s.t), y: num(s.pagefile_used_pages) })),
            borderColor: '#9aa5b1', backgroundColor: '#9aa5b1', borderDash: [5, 4], borderWidth: 1.5, pointRadius: 0,
          });
        }
        pids.forEach((pid, i) => {
          const c = PALETTE[i % PALETTE.length];
          datasets.push({
            label: 'WS ' + pid + ' ' + procName(pid),
            data: samples.filter((s) => s.working_sets && s.working_sets[pid] != null).map((s) => ({ x: num(s.t), y: num(s.working_sets[pid]) })),
            borderColor: c, backgroundColor: c, borderWidth: 1.5, pointRadius: 0,
          });
        });
        makeChart('timeline', canvas, {
          type: 'line',
          data: { datasets },
          options: {
            parsing: true,
            interaction: { mode: 'nearest', axis: 'x', intersect: false },
            scales: {
              x: timeAxis(),
              y: { beginAtZero: true, title: { display: true, text: 'pages' }, ticks: { precision: 0 } },
            },
            plugins: { legend: { position: 'top', labels: { boxWidth: 12 } } },
          },
        });
      }
    });

    // (c) list sizes
    guard('timeline: lists', () => {
      const lc = card('Physical memory lists over time', 'Frames on each list, stacked: the total is all of physical memory.');
      sec.appendChild(lc);
      if (!samples.length) {
        lc.appendChild(note('No memory samples were recorded in this run.'));
      } else {
        const { box, canvas } = chartBox(280, 'lists-chart');
        lc.appendChild(box);
        let names = [];
        const phys = arr(M.snapshots).find((s) => s && s.physical && Array.isArray(s.physical.lists));
        if (phys) names = phys.physical.lists.slice();
        for (const s of samples) for (const k of Object.keys(s.lists || {})) if (!names.includes(k)) names.push(k);
        // stack the busy lists at the bottom, the idle ones on top
        const order = ['Active', 'Transition', 'Modified', 'ModifiedNoWrite', 'Standby', 'Free', 'Zeroed', 'Bad'];
        names.sort((a, b) => {
          const x = order.indexOf(a), y = order.indexOf(b);
          return (x < 0 ? 99 : x) - (y < 0 ? 99 : y);
        });
        if (!names.length) box.replaceWith(note('The samples hold no list sizes.'));
        else makeChart('timeline', canvas, {
          type: 'line',
          data: {
            datasets: names.map((n, i) => ({
              label: n,
              data: samples.map((s) => ({ x: num(s.t), y: num((s.lists || {})[n]) })),
              borderColor: colorFor(LIST_COLORS, n, i), backgroundColor: alpha(colorFor(LIST_COLORS, n, i), 0.8),
              fill: i === 0 ? 'origin' : '-1', borderWidth: 1, pointRadius: 0, stack: 'lists',
            })),
          },
          options: {
            interaction: { mode: 'nearest', axis: 'x', intersect: false },
            scales: {
              x: timeAxis(),
              y: { stacked: true, beginAtZero: true, title: { display: true, text: 'frames' }, ticks: { precision: 0 } },
            },
            plugins: { legend: { position: 'top', labels: { boxWidth: 12 } } },
          },
        });
      }
    });

    // fault totals and processes
    const row = el('div', { class: 'two-col' });
    sec.appendChild(row);
    guard('timeline: fault totals', () => {
      const ft = card('Faults by kind', 'The whole run.');
      row.appendChild(ft);
      const totals = M.fault_totals || {};
      let h = '<table id="fault-totals" class="data"><thead><tr><th>Kind</th><th class="num" data-type="num">Faults</th></tr></thead><tbody>';
      let sum = 0;
      kinds.forEach((k) => {
        const v = num(totals[k]);
        sum += v;
        h += '<tr data-kind="' + esc(k) + '"><td>' + esc(k) + '</td><td class="num" data-kind="' + esc(k) + '" data-value="' + v + '">' + fmtInt(v) + '</td></tr>';
      });
      h += '</tbody><tfoot><tr class="total"><td>Total</td><td class="num" data-value="' + sum + '">' + fmtInt(sum) + '</td></tr></tfoot></table>';
      const ftWrap = el('div', { class: 'table-wrap', html: h });
      ft.appendChild(ftWrap);
      // colour cue without changing the cells' text
      Array.from(ftWrap.querySelectorAll('tr[data-kind]')).forEach((tr, i) => {
        tr.cells[0].style.boxShadow = 'inset 4px 0 0 ' + colorFor(KIND_COLORS, tr.dataset.kind, i);
        tr.cells[0].style.paddingLeft = '12px';
      });
      if (!kinds.length) ft.appendChild(note('The model lists no fault kinds.'));
      // The kernel's own counters, as --stats prints them: they also count faults the chart's
      // events do not show (kernel-mode faults on paged pool, the page-table faults nested in
      // a user fault).
      const counters = M.fault_counters || {};
      const names = Object.keys(counters);
      if (names.length) {
        let c = '<table id="fault-counters" class="data"><thead><tr><th>Kernel counter</th><th class="num" data-type="num">Faults</th></tr></thead><tbody>';
        names.forEach((k) => {
          const v = num(counters[k]);
          c += '<tr data-kind="' + esc(k) + '"><td class="mono">' + esc(k) + '</td><td class="num" data-kind="' + esc(k) + '" data-value="' + v + '">' + fmtInt(v) + '</td></tr>';
        });
        c += '</tbody></table>';
        ft.appendChild(note('The kernel\'s own fault counters as of the last memory sample (at the end of a run, what --stats prints). They count what each fault\'s handler did, so they differ from the events above: kernel-mode faults on paged pool and page-table faults nested in a user fault are counted, and a copy-on-write fault on a page that was not resident counts as the fault that brought it back.'));
        ft.appendChild(el('div', { class: 'table-wrap', html: c }));
      }

    });
    guard('timeline: processes', () => {
      const pc = card('Processes', 'Every process the run had, in start order. Peaks are the kernel\'s once a process ended (--stats prints the same), before that what the samples saw.');
      row.appendChild(pc);
      const procs = arr(M.processes);
      let p = '<table id="processes" class="data"><thead><tr><th class="num" data-type="num">PID</th><th>Image</th><th class="num" data-type="num">Parent</th>' +
        '<th class="num" data-type="num">Start (ms)</th><th class="num" data-type="num">Exit (ms)</th><th>Exit code</th>' +
        '<th class="num" data-type="num">Peak commit (pages)</th><th class="num" data-type="num">Peak WS (pages)</th><th class="num" data-type="num">Faults</th></tr></thead><tbody>';
      for (const pr of procs) {
        const faults = pr.faults || {};
        // The kernel's count once the process ended (--stats prints it); before, its events.
        const ftotal = pr.page_faults != null ? num(pr.page_faults) : Object.keys(faults).reduce((a, k) => a + num(faults[k]), 0);
        const breakdown = Object.keys(faults).filter((k) => num(faults[k]) > 0).map((k) => k + ': ' + faults[k]).join(', ');
        const code = pr.exit_code_hex == null ? '' : String(pr.exit_code_hex);
        p += '<tr data-process-id="' + esc(pr.process_id) + '">' +
          '<td class="num" data-field="process_id" data-value="' + esc(pr.process_id) + '">' + esc(pr.process_id) + '</td>' +
          '<td data-field="image" data-value="' + esc(pr.image) + '">' + esc(pr.image) + '</td>' +
          '<td class="num" data-field="parent_id" data-value="' + esc(num(pr.parent_id)) + '">' + esc(num(pr.parent_id)) + '</td>' +
          '<td class="num" data-field="start_t" data-value="' + num(pr.start_t) + '">' + fmtMs(pr.start_t) + '</td>' +
          '<td class="num" data-field="exit_t" data-value="' + (pr.exit_t == null ? '' : num(pr.exit_t)) + '">' + (pr.exit_t == null ? '<span class="muted">running</span>' : fmtMs(pr.exit_t)) + '</td>' +
          '<td class="mono' + (code && !/^0x0+$/i.test(code) ? ' warn' : '') + '" data-field="exit_code_hex" data-value="' + esc(code) + '">' + (code ? esc(code) : '<span class="muted">\u2014</span>') + '</td>' +
          '<td class="num" data-field="peak_commit_pages" data-value="' + num(pr.peak_commit_pages) + '">' + fmtInt(pr.peak_commit_pages) + '</td>' +
          '<td class="num" data-field="peak_working_set_pages" data-value="' + num(pr.peak_working_set_pages) + '">' + fmtInt(pr.peak_working_set_pages) + '</td>' +
          '<td class="num" data-field="faults" data-value="' + ftotal + '" title="' + esc(breakdown) + '">' + fmtInt(ftotal) + '</td></tr>';
      }
      p += '</tbody></table>';
      pc.appendChild(el('div', { class: 'table-wrap', html: p }));
      if (!procs.length) pc.appendChild(note('The run had no processes.'));
      makeSortable(document.getElementById('processes'));
      makeSortable(document.getElementById('fault-totals'));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Processes side by side.

  function findRegion(regs, va) {
    const i = upperBound(regs.length, (k) => num(regs[k].base) > va) - 1;
    if (i < 0) return -1;
    const r = regs[i];
    return va < num(r.base) + num(r.size) ? i : -1;
  }

  // Elementary intervals of VPN space valid in a or b, merged into bands.
  function compareBands(procA, procB) {
    const sorted = (p) => arr(p && p.pages).filter((r) => Array.isArray(r) && num(r[2]) > 0).slice().sort((x, y) => num(x[0]) - num(y[0]));
    const A = sorted(procA), B = procB ? sorted(procB) : [];
    const regsA = arr(procA && procA.regions), regsB = arr(procB && procB.regions);
    const bands = [];
    let ia = 0, ib = 0, v = -Infinity;
    let guardIter = 0;
    const stats = { shared: 0, different: 0, left: 0, right: 0 };
    while ((ia < A.length || ib < B.length) && guardIter++ < 5e6) {
      const ra = A[ia], rb = B[ib];
      const aS = ra ? num(ra[0]) : Infinity, aE = ra ? aS + num(ra[2]) : Infinity;
      const bS = rb ? num(rb[0]) : Infinity, bE = rb ? bS + num(rb[2]) : Infinity;
      if (ra && v >= aE) { ia++; continue; }
      if (rb && v >= bE) { ib++; continue; }
      if (v < Math.min(aS, bS)) v = Math.min(aS, bS);
      const inA = !!ra && aS <= v && v < aE;
      const inB = !!rb && bS <= v && v < bE;
      let next = Infinity;
      next = Math.min(next, inA ? aE : aS);
      next = Math.min(next, inB ? bE : bS);
      if (!(next > v)) { v += 1; continue; }
      const n = next - v;
      const pa = inA ? num(ra[1]) + (v - aS) : -1;
      const pb = inB ? num(rb[1]) + (v - bS) : -1;
      const cls = inA && inB ? (pa === pb ? 'shared' : 'different') : inA ? 'left' : 'right';
      stats[cls] += n;
      const va = v * 4096;
      const regA = inA ? findRegion(regsA, va) : -1;
      const regB = inB ? findRegion(regsB, va) : -1;
      const last = bands[bands.length - 1];
      if (last && last.cls === cls && last.vpn + last.count === v && last.regA === regA && last.regB === regB) {
        if (inA) { if (pa !== last.lastA + 1) last.runsA++; last.lastA = pa + n - 1; }
        if (inB) { if (pb !== last.lastB + 1) last.runsB++; last.lastB = pb + n - 1; }
        last.count += n;
      } else {
        bands.push({ vpn: v, count: n, cls, regA, regB, firstA: pa, lastA: inA ? pa + n - 1 : -1, runsA: inA ? 1 : 0, firstB: pb, lastB: inB ? pb + n - 1 : -1, runsB: inB ? 1 : 0 });
      }
      v = next;
    }
    return { bands, stats };
  }

  function renderCompare(sec) {
    sec.appendChild(el('h2', { class: 'view-title', text: 'Processes side by side' }));
    const snaps = arr(M.snapshots);
    const withProcs = snaps.map((s, i) => ({ s, i })).filter((x) => arr(x.s && x.s.processes).length > 0);
    const sameCounter = el('span', { id: 'compare-same-va-different-frame', 'data-value': '0', text: '0' });
    const sharedCounter = el('span', { id: 'compare-shared-frames', 'data-value': '0', text: '0' });
    if (!withProcs.length) {
      sec.appendChild(note('No snapshot holds a process, so there is nothing to compare.'));
      sec.appendChild(el('p', { class: 'counters' }, ['Same address, different frames: ', sameCounter, ' pages \u00b7 shared frames: ', sharedCounter, ' pages']));
      return;
    }
    let sIdx = withProcs.findIndex((x) => arr(x.s.processes).length >= 2);
    const anyPair = sIdx >= 0;
    if (sIdx < 0) {
      sIdx = withProcs.findIndex((x) => x.i === num(M.default_snapshot));
      if (sIdx < 0) sIdx = withProcs.length - 1;
    }
    const bar = el('div', { class: 'controls' });
    const snapSel = el('select', { id: 'compare-snapshot', 'aria-label': 'Snapshot' });
    withProcs.forEach((x, k) => snapSel.appendChild(el('option', { value: String(k), 'data-snapshot': x.i, text: snapshotLabel(x.s, x.i) + ' \u2014 ' + arr(x.s.processes).length + ' process' + (arr(x.s.processes).length === 1 ? '' : 'es') })));
    snapSel.value = String(sIdx);
    const leftSel = el('select', { id: 'compare-left', 'aria-label': 'Left process' });
    const rightSel = el('select', { id: 'compare-right', 'aria-label': 'Right process' });
    const filterSel = el('select', { id: 'compare-filter', 'aria-label': 'Show' });
    [['all', 'all ranges'], ['both', 'valid in both'], ['shared', 'same frame'], ['different', 'different frames'], ['one', 'valid in one only']].forEach(([v, t]) => filterSel.appendChild(el('option', { value: v, text: t })));
    bar.appendChild(el('label', { for: 'compare-snapshot', text: 'Snapshot ' }));
    bar.appendChild(snapSel);
    bar.appendChild(el('label', { for: 'compare-left', text: 'Left ' }));
    bar.appendChild(leftSel);
    bar.appendChild(el('label', { for: 'compare-right', text: 'Right ' }));
    bar.appendChild(rightSel);
    bar.appendChild(el('label', { for: 'compare-filter', text: 'Show ' }));
    bar.appendChild(filterSel);
    sec.appendChild(bar);

    const c = card('Same virtual address, which physical frame?', null);
    c.appendChild(el('p', { class: 'sub caption', id: 'compare-caption', text:
      'Each row is a range of virtual pages valid in at least one of the two processes, drawn at the same height on both sides, ' +
      'so the two columns line up address by address; long runs are collapsed into one row with a page count. A green link means both ' +
      'processes reach the very same physical frame at that address \u2014 a page the system maps into every process, such as ' +
      'KUSER_SHARED_DATA (ntoy gives each process its own copy of every image page). A red \u2260 means the same virtual address is backed by different frames: each process has its own page there, which is ' +
      'why the same pointer value in two programs can hold different data. Dashed boxes are pages valid in one process only.' }));
    const oneNote = el('p', { class: 'note', id: 'compare-note', hidden: true });
    c.appendChild(oneNote);
    c.appendChild(el('p', { class: 'counters' }, [
      el('span', { class: 'counter different' }, ['Same address, different frames: ', sameCounter, ' pages']),
      el('span', { class: 'counter shared' }, ['Same address, same frame (shared): ', sharedCounter, ' pages']),
      el('span', { class: 'counter', id: 'compare-only' }),
    ]));
    const legend = el('div', { class: 'legend' });
    legend.innerHTML = ['Image', 'Private', 'Heap', 'Stack', 'Mapped'].map((t, i) => '<span class="item">' + swatch(colorFor(TYPE_COLORS, t, i)) + esc(t) + '</span>').join('') +
      '<span class="item"><span class="swatch" style="background:#d9f2e1;border-color:#2f9e55"></span>same frame</span>' +
      '<span class="item"><span class="swatch" style="background:#fde2e2;border-color:#d32f2f"></span>different frames</span>';
    c.appendChild(legend);
    const grid = el('div', { class: 'cmp', id: 'compare-grid' });
    c.appendChild(grid);
    sec.appendChild(c);

    const MAX_ROWS = 600;

    function fillProcs() {
      const procs = arr(withProcs[sIdx].s.processes);
      leftSel.innerHTML = '';
      rightSel.innerHTML = '';
      procs.forEach((p, k) => {
        const t = p.process_id + ' ' + (p.image || '');
        leftSel.appendChild(el('option', { value: String(k), 'data-process-id': p.process_id, text: t }));
        rightSel.appendChild(el('option', { value: String(k), 'data-process-id': p.process_id, text: t }));
      });
      const pair = defaultPair(procs);
      leftSel.value = String(pair[0]);
      rightSel.value = String(pair[1]);
      rightSel.disabled = procs.length < 2;
      leftSel.disabled = procs.length < 2;
    }

    // The pair that shows the picture best: the most private or heap pages at the same virtual
    // address in both, backed by different frames (the first pair on a tie).
    function defaultPair(procs) {
      if (procs.length < 2) return [0, 0];
      const n = Math.min(procs.length, 12);
      const privatePages = procs.slice(0, n).map((p) => {
        const regs = arr(p.regions);
        const m = new Map();
        for (const run of arr(p.pages)) {
          const count = Math.min(num(run[2]), 20000);
          for (let k = 0; k < count && m.size < 20000; k++) {
            const vpn = num(run[0]) + k;
            const i = findRegion(regs, vpn * 4096);
            const t = i >= 0 ? regs[i].type : '';
            if (t === 'Private' || t === 'Heap') m.set(vpn, num(run[1]) + k);
          }
        }
        return m;
      });
      let best = [0, 1], most = -1;
      for (let a = 0; a < n; a++) {
        for (let b = a + 1; b < n; b++) {
          let count = 0;
          for (const [vpn, pfn] of privatePages[a]) {
            const other = privatePages[b].get(vpn);
            if (other !== undefined && other !== pfn) count++;
          }
          if (count > most) { most = count; best = [a, b]; }
        }
      }
      return best;
    }

    function frameText(first, last, runs, count) {
      if (first < 0) return '';
      if (count === 1) return 'pfn ' + hex(first);
      if (runs <= 1) return 'pfn ' + hex(first) + '\u2013' + hex(last);
      return 'pfn ' + hex(first) + ' \u2026 ' + hex(last) + ' (' + runs + ' runs)';
    }
    function regionText(regs, i) {
      if (i < 0) return '';
      const r = regs[i];
      const d = r.type === 'Image' || r.type === 'Mapped' ? basename(r.details) : (r.details || '');
      return String(r.type || '') + (d ? ' \u00b7 ' + d : '');
    }

    function draw() {
      const procs = arr(withProcs[sIdx].s.processes);
      const single = procs.length < 2;
      const L = procs[Number(leftSel.value) || 0];
      const R = single ? null : procs[Number(rightSel.value) || 0];
      oneNote.hidden = !single && L !== R;
      oneNote.textContent = single ? (anyPair ? 'Single process \u2014 this snapshot holds one process; pick a snapshot with two to compare. It is drawn alone below.'
        : 'Single process \u2014 this run had one process at a time: nothing to compare. The single process is drawn alone below.') :
        (L === R ? 'The same process is on both sides: every valid page is trivially shared. Pick two different processes.' : '');
      const { bands, stats } = compareBands(L, R);
      sameCounter.dataset.value = String(R ? stats.different : 0);
      sameCounter.textContent = fmtInt(R ? stats.different : 0);
      sharedCounter.dataset.value = String(R ? stats.shared : 0);
      sharedCounter.textContent = fmtInt(R ? stats.shared : 0);
      const onlyEl = document.getElementById('compare-only');
      if (onlyEl) onlyEl.textContent = R ? 'Only in ' + L.process_id + ': ' + fmtInt(stats.left) + ' pages \u00b7 only in ' + R.process_id + ': ' + fmtInt(stats.right) + ' pages'
        : 'Valid pages: ' + fmtInt(stats.left);
      const f = filterSel.value;
      const keep = (b) => f === 'all' || (f === 'both' && (b.cls === 'shared' || b.cls === 'different')) || b.cls === f || (f === 'one' && (b.cls === 'left' || b.cls === 'right'));
      const shown = bands.filter(keep);
      const regsL = arr(L && L.regions), regsR = arr(R && R.regions);
      const parts = [];
      parts.push('<div class="cmp-row cmp-head"><div>Virtual address</div><div>' + esc(L.process_id) + ' ' + esc(L.image) + '</div><div></div><div>' +
        (R ? esc(R.process_id) + ' ' + esc(R.image) : '<span class="muted">no second process</span>') + '</div><div class="num">Pages</div></div>');
      if (!shown.length) parts.push('<p class="note">' + (bands.length ? 'No range matches this filter.' : 'Neither process has valid pages in this snapshot.') + '</p>');
      let prevEnd = null;
      const n = Math.min(shown.length, MAX_ROWS);
      for (let k = 0; k < n; k++) {
        const b = shown[k];
        if (prevEnd !== null && b.vpn > prevEnd) {
          parts.push('<div class="cmp-gap"><span>\u22ee ' + esc(fmtBytes((b.vpn - prevEnd) * 4096)) + ' gap</span></div>');
        }
        prevEnd = b.vpn + b.count;
        const va0 = b.vpn * 4096, va1 = (b.vpn + b.count) * 4096 - 1;
        const box = (side) => {
          const isL = side === 'L';
          const valid = isL ? b.cls !== 'right' : b.cls !== 'left';
          if (isL ? false : !R) return '<div class="cmp-box empty none"></div>';
          if (!valid) return '<div class="cmp-box empty">not valid</div>';
          const regs = isL ? regsL : regsR;
          const ri = isL ? b.regA : b.regB;
          const t = ri >= 0 ? regs[ri].type : '';
          const color = colorFor(TYPE_COLORS, t, 1);
          const ft = isL ? frameText(b.firstA, b.lastA, b.runsA, b.count) : frameText(b.firstB, b.lastB, b.runsB, b.count);
          return '<div class="cmp-box ' + b.cls + '" style="border-left-color:' + color + '"><span class="frame mono">' + esc(ft) +
            '</span><span class="what">' + esc(regionText(regs, ri)) + '</span></div>';
        };
        let link = '<div class="cmp-link"></div>';
        if (b.cls === 'shared') link = '<div class="cmp-link shared"><span>same frame' + (b.count > 1 ? 's' : '') + '</span></div>';
        else if (b.cls === 'different') link = '<div class="cmp-link different"><span>\u2260 different frames</span></div>';
        parts.push('<div class="cmp-row ' + b.cls + '" data-vpn="' + b.vpn + '" data-count="' + b.count + '" data-class="' + b.cls + '"><div class="va mono">' + esc(hex(va0)) +
          (b.count > 1 ? '<span class="muted">\u2013' + esc(hex(va1)) + '</span>' : '') + '</div>' + box('L') + link + box('R') +
          '<div class="num">' + fmtInt(b.count) + '</div></div>');
      }
      if (shown.length > MAX_ROWS) parts.push('<p class="note">\u2026 and ' + fmtInt(shown.length - MAX_ROWS) + ' more ranges not drawn; pick a filter above to narrow the list. The counters cover every page.</p>');
      grid.innerHTML = parts.join('');
      grid.dataset.left = L ? String(L.process_id) : '';
      grid.dataset.right = R ? String(R.process_id) : '';
    }

    snapSel.addEventListener('change', guarded('compare snapshot', () => { sIdx = Number(snapSel.value); fillProcs(); draw(); }));
    leftSel.addEventListener('change', guarded('compare left', draw));
    rightSel.addEventListener('change', guarded('compare right', draw));
    filterSel.addEventListener('change', guarded('compare filter', draw));
    fillProcs();
    draw();
  }

  // ---------------------------------------------------------------------------------------------
  // Pools.

  function renderPools(sec) {
    sec.appendChild(el('h2', { class: 'view-title', text: 'Pools' }));
    const pt = M.pool_tags;
    const tags = arr(pt && pt.tags).map(String);
    const samples = arr(pt && pt.samples);
    const final = arr(pt && pt.final);
    if (!pt || (!tags.length && !final.length)) {
      sec.appendChild(note('This run recorded no pool tags.'));
      renderPoolTotals(sec);
      return;
    }
    const cc = card('Pool bytes per tag over time', 'The ten tags with the largest peak in the chosen pool, stacked; the rest summed as \u201cother\u201d.');
    sec.appendChild(cc);
    // Open on the pool that held more at its peak (the kernel's objects are nonpaged).
    const peakOf = (k) => samples.reduce((m, s) => Math.max(m, arr(s[k]).reduce((a, v) => a + num(v), 0)), 0);
    let kind = peakOf('nonpaged') >= peakOf('paged') ? 'nonpaged' : 'paged';
    let chart = null;
    if (!samples.length) {
      cc.appendChild(note('No pool samples were recorded over time.'));
    } else {
      const seg = segmented('pool-kind', [{ value: 'paged', label: 'Paged' }, { value: 'nonpaged', label: 'Nonpaged' }], kind, (v) => { kind = v; update(); });
      const ctl = el('div', { class: 'controls' });
      ctl.appendChild(seg.root);
      cc.appendChild(ctl);
      const emptyNote = note('', 'pool-empty');
      emptyNote.hidden = true;
      cc.appendChild(emptyNote);
      const { box, canvas } = chartBox(320, 'pool-chart');
      cc.appendChild(box);
      const datasetsFor = (k) => {
        const peak = tags.map((_, i) => samples.reduce((m, s) => Math.max(m, num(arr(s[k])[i])), 0));
        // The report's own "(other)" (tags it did not keep) joins the chart's other, never the top.
        const idx = tags.map((_, i) => i).filter((i) => peak[i] > 0 && tags[i] !== '(other)').sort((a, b) => peak[b] - peak[a]);
        const top = idx.slice(0, 10), rest = idx.slice(10);
        const kept = tags.indexOf('(other)');
        if (kept >= 0 && peak[kept] > 0) rest.push(kept);
        const ds = top.map((i, n) => ({
          label: tags[i], data: samples.map((s) => ({ x: num(s.t), y: num(arr(s[k])[i]) })),
          borderColor: PALETTE[i % PALETTE.length], backgroundColor: alpha(PALETTE[i % PALETTE.length], 0.7),
          fill: n === 0 ? 'origin' : '-1', pointRadius: 0, borderWidth: 1, stack: 'pool',
        }));
        if (rest.length) {
          ds.push({
            label: kept >= 0 && rest.includes(kept) ? 'other' : 'other (' + rest.length + ' tags)', data: samples.map((s) => ({ x: num(s.t), y: rest.reduce((a, i) => a + num(arr(s[k])[i]), 0) })),
            borderColor: '#9aa5b1', backgroundColor: 'rgba(154,165,177,0.6)', fill: ds.length ? '-1' : 'origin', pointRadius: 0, borderWidth: 1, stack: 'pool',
          });
        }
        return ds;
      };
      chart = makeChart('pools', canvas, {
        type: 'line',
        data: { datasets: datasetsFor(kind) },
        options: {
          interaction: { mode: 'nearest', axis: 'x', intersect: false },
          scales: {
            x: timeAxis(),
            y: { stacked: true, beginAtZero: true, title: { display: true, text: 'bytes' }, ticks: { callback: (v) => fmtBytes(v) } },
          },
          plugins: {
            legend: { position: 'top', labels: { boxWidth: 12 } },
            tooltip: { callbacks: { label: (it) => it.dataset.label + ': ' + fmtInt(it.parsed.y) + ' bytes' } },
          },
        },
      });
      function update() {
        const ds = datasetsFor(kind);
        emptyNote.hidden = ds.length > 0;
        emptyNote.textContent = 'Nothing was allocated from the ' + kind + ' pool over the run.';
        if (chart) { chart.data.datasets = ds; chart.update('none'); }
      }
      update();
    }

    const tc = card('Pool tags', 'Like poolmon: the last sample, per tag. Click a header to sort.');
    sec.appendChild(tc);
    if (!final.length) {
      tc.appendChild(note('No final pool tag counts were recorded.'));
    } else {
      const keys = [];
      for (const f of final) for (const k of Object.keys(f || {})) if (k !== 'tag' && !keys.includes(k)) keys.push(k);
      const numericKey = keys.map((k) => final.every((f) => f[k] == null || typeof f[k] === 'number'));
      const title = (k) => k.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
      let h = '<table id="pool-tags" class="data"><thead><tr><th>Tag</th>';
      keys.forEach((k, i) => { h += '<th' + (numericKey[i] ? ' class="num" data-type="num"' : '') + ' data-key="' + esc(k) + '">' + esc(title(k)) + '</th>'; });
      h += '</tr></thead><tbody>';
      for (const f of final) {
        h += '<tr data-tag="' + esc(f.tag) + '"><td class="tag mono" data-field="tag" data-value="' + esc(f.tag) + '">' + esc(f.tag) + '</td>';
        keys.forEach((k, i) => {
          const v = f[k];
          if (numericKey[i]) h += '<td class="num' + (num(v) === 0 ? ' zero' : '') + '" data-field="' + esc(k) + '" data-value="' + (v == null ? '' : num(v)) + '">' + (v == null ? '' : fmtInt(v)) + '</td>';
          else h += '<td data-field="' + esc(k) + '" data-value="' + esc(v) + '">' + esc(v) + '</td>';
        });
        h += '</tr>';
      }
      h += '</tbody></table>';
      tc.appendChild(el('div', { class: 'table-wrap tall', html: h }));
      makeSortable(document.getElementById('pool-tags'));
    }
    renderPoolTotals(sec);
  }

  function renderPoolTotals(sec) {
    const samples = arr(M.timeline && M.timeline.samples).filter((s) => s && s.pool);
    if (!samples.length) return;
    const c = card('Pool in use', 'Bytes allocated from each pool over the run.');
    sec.appendChild(c);
    const { box, canvas } = chartBox(220, 'pool-totals-chart');
    c.appendChild(box);
    makeChart('pools', canvas, {
      type: 'line',
      data: {
        datasets: [
          { label: 'paged', data: samples.map((s) => ({ x: num(s.t), y: num(s.pool.paged) })), borderColor: USE_COLORS['Paged Pool'], backgroundColor: USE_COLORS['Paged Pool'], pointRadius: 0, borderWidth: 2 },
          { label: 'nonpaged', data: samples.map((s) => ({ x: num(s.t), y: num(s.pool.nonpaged) })), borderColor: USE_COLORS['Nonpaged Pool'], backgroundColor: USE_COLORS['Nonpaged Pool'], pointRadius: 0, borderWidth: 2 },
        ],
      },
      options: {
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: timeAxis(),
          y: { beginAtZero: true, ticks: { callback: (v) => fmtBytes(v) } },
        },
        plugins: { legend: { position: 'top', labels: { boxWidth: 12 } } },
      },
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Resize and startup.

  const resizeHooks = [];
  function onResize(fn) { resizeHooks.push(fn); }
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { for (const fn of resizeHooks) guard('resize', fn); }, 80);
  });

  const phaseTimes = {};
  function start() {
    try {
      render();
    } finally {
      document.body.dataset.renderMs = String(Math.round((performance.now() - T_START) * 10) / 10);
      document.body.dataset.renderPhases = JSON.stringify(phaseTimes);
      publishErrors();
      document.body.dataset.ready = '1';
    }
  }

  function render() {
    publishErrors();
    try {
      if (window.Chart && window.Chart.defaults) {
        window.Chart.defaults.font.family = CHART_FONT;
        window.Chart.defaults.color = '#3e4c59';
        window.Chart.defaults.animation = false;
      }
    } catch (e) { reportError('chart defaults', e); }
    guard('tabs', renderTabs);
    const tLoad = performance.now();
    try {
      M = loadModel();
      phaseTimes.parse = Math.round(performance.now() - tLoad);
    } catch (e) {
      reportError('data', e);
      M = null;
    }
    if (M) {
      guard('model', () => {
        // drop holes so that one bad entry costs one row, not the report
        const isObj = (x) => x && typeof x === 'object';
        M.processes = arr(M.processes).filter(isObj);
        M.snapshots = arr(M.snapshots).filter(isObj);
        for (const sn of M.snapshots) sn.processes = arr(sn.processes).filter(isObj);
        if (isObj(M.timeline)) {
          M.timeline.buckets = arr(M.timeline.buckets).filter(isObj);
          M.timeline.samples = arr(M.timeline.samples).filter(isObj);
        }
        processById = new Map(M.processes.map((p) => [Number(p.process_id), p]));
      });
      guard('header', renderHeader);
      const renderers = { address: renderAddress, physical: renderPhysical, timeline: renderTimeline, compare: renderCompare, pools: renderPools };
      for (const v of VIEWS) {
        const sec = document.getElementById('view-' + v.id);
        if (!sec) continue;
        const t0 = performance.now();
        guard(v.title, () => renderers[v.id](sec));
        phaseTimes[v.id] = Math.round(performance.now() - t0);
      }
    } else {
      const head = document.getElementById('report-header');
      if (head) head.appendChild(el('h1', { text: 'ntoy report' }));
      document.title = 'ntoy report \u2014 (no data)';
    }
    window.addEventListener('hashchange', guarded('hashchange', () => showView(viewFromHash())));
    const tShow = performance.now();
    guard('show', () => showView(viewFromHash()));
    phaseTimes.show = Math.round(performance.now() - tShow);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => guard('start', start));
  else guard('start', start);
})();
