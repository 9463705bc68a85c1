// The Ripple dashboard: a snapshot a second over Server-Sent Events
// (/api/dashboard/events), rendered into plain, accessible HTML; charts by
// uPlot; trace waterfalls from /api/traces/<id> (the Jaeger query API); the
// VWAP table from /api/vwap/events?q=<symbol prefix>.
const $ = (id) => document.getElementById(id);
const palette = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
  '#d62728',
];
const colours = new Map();
function colourOf(worker) {
  if (!colours.has(worker)) colours.set(worker, palette[colours.size % palette.length]);
  return colours.get(worker);
}
const fmtBytes = (n) =>
  n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
const fmtRate = (n) => (n >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1));
const fmtAge = (ms) =>
  ms < 1000
    ? `${Math.round(ms)} ms`
    : ms < 120000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 60000)} min`;
const cell = (text, cls) => {
  const td = document.createElement('td');
  td.textContent = String(text);
  if (cls) td.className = cls;
  return td;
};

let selectedTrace = null;
function traceButton(traceId, what) {
  const td = document.createElement('td');
  if (!traceId) {
    td.textContent = '—';
    return td;
  }
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = 'Show trace';
  b.dataset.trace = traceId;
  b.setAttribute('aria-label', `Show the trace of ${what}`);
  b.setAttribute('aria-pressed', String(selectedTrace === traceId));
  b.addEventListener('click', () => showTrace(traceId, what));
  td.append(b);
  return td;
}

function renderMembers(s, snap) {
  const body = $('members').tBodies[0];
  const rows = [];
  for (const w of s.workers) {
    const series = snap.series[w.workerId];
    const tr = document.createElement('tr');
    tr.dataset.worker = w.workerId;
    const name = cell(w.workerId);
    name.style.borderLeft = `6px solid ${colourOf(w.workerId)}`;
    tr.append(
      name,
      cell(w.state, `state-${w.state}`),
      cell(w.partitions.length, 'num'),
      cell(series ? fmtRate(series.eventsPerSec.at(-1) ?? 0) : '—', 'num'),
      cell(series ? (series.lag.at(-1) ?? 0) : '—', 'num'),
      cell(`${fmtAge(snap.atMs - w.lastHeartbeatMs)} ago`, 'num'),
    );
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

function renderGrid(s) {
  const grid = $('grid');
  const parts = s.partitions ?? [];
  while (grid.children.length < parts.length) grid.append(document.createElement('li'));
  while (grid.children.length > parts.length) grid.lastChild.remove();
  parts.forEach((p, i) => {
    const li = grid.children[i];
    li.textContent = String(p.partition);
    li.dataset.owner = p.workerId ?? '';
    li.classList.toggle('unowned', p.workerId === null);
    li.classList.toggle('moving', p.movingTo !== null);
    li.style.backgroundColor = p.workerId === null ? '' : colourOf(p.workerId);
    const where = p.workerId === null ? 'unowned' : `owned by ${p.workerId}`;
    const moving = p.movingTo === null ? '' : `, moving to ${p.movingTo}`;
    li.setAttribute(
      'aria-label',
      `Partition ${p.partition}: ${where}, epoch ${p.epoch}, lag ${p.lag ?? 'unknown'}${moving}`,
    );
    li.title = li.getAttribute('aria-label');
  });
  const owners = [...new Set(parts.map((p) => p.workerId).filter((w) => w !== null))].sort();
  $('legend').replaceChildren(
    ...owners.map((w) => {
      const li = document.createElement('li');
      li.style.setProperty('--c', colourOf(w));
      li.textContent = `${w}: ${parts.filter((p) => p.workerId === w).length}`;
      return li;
    }),
  );
}

const charts = {};
function renderChart(id, snap, field) {
  const workers = Object.keys(snap.series).sort();
  const el = $(id);
  const key = workers.join(',');
  const width = Math.max(300, el.clientWidth || 520);
  if (!charts[id] || charts[id].key !== key) {
    charts[id]?.plot.destroy();
    const plot = new uPlot(
      {
        width,
        height: 180,
        series: [{}, ...workers.map((w) => ({ label: w, stroke: colourOf(w), width: 2 }))],
        axes: [{}, { size: 60 }],
        legend: { live: false },
      },
      [[]],
      el,
    );
    charts[id] = { plot, key };
  }
  // one time axis: the union of the workers' seconds
  const ts = [...new Set(workers.flatMap((w) => snap.series[w].t))].sort((a, b) => a - b);
  const cols = workers.map((w) => {
    const s = snap.series[w];
    const at = new Map(s.t.map((t, i) => [t, s[field][i]]));
    return ts.map((t) => at.get(t) ?? null);
  });
  charts[id].plot.setData([ts, ...cols]);
  const last = workers.map((w) => `${w} ${snap.series[w][field].at(-1) ?? 0}`).join(', ');
  el.setAttribute('aria-description', last === '' ? 'no data yet' : `latest: ${last}`);
}

function renderCheckpoints(snap) {
  const rows = snap.checkpoints.map((c) => {
    const tr = document.createElement('tr');
    tr.dataset.checkpoint = c.checkpointId;
    tr.append(
      cell(c.checkpointId, 'wrap'),
      cell(c.epoch, 'num'),
      cell(`${fmtAge(snap.atMs - c.triggeredAtMs)} ago`, 'num'),
      cell(c.partitionsAcked, 'num'),
      cell(fmtBytes(c.bytesFull), 'num'),
      cell(fmtBytes(c.bytesIncremental), 'num'),
      traceButton(c.traceId, `checkpoint ${c.checkpointId}`),
    );
    return tr;
  });
  $('checkpoints').tBodies[0].replaceChildren(...rows);
}

// What each reason code means (the worker's dead-letter codes; late events have one reason).
const REASONS = {
  parse_error: 'the record could not be read',
  malformed: 'not a valid trade batch',
  invalid_trade: 'price or size not finite and > 0',
  future_timestamp: "event time too far ahead of the record's log time",
  max_keys: 'the partition reached its key limit',
  late: 'later than the allowed lateness: its window had closed',
};

function renderDiverted(snap) {
  const rows = (snap.diverted ?? []).map((d) => {
    const tr = document.createElement('tr');
    tr.dataset.reason = d.reason;
    tr.dataset.kind = d.kind;
    tr.dataset.total = String(d.total);
    const reason = document.createElement('td');
    reason.className = 'wrap';
    const code = document.createElement('code');
    code.textContent = d.reason;
    reason.append(code, REASONS[d.reason] ? ` — ${REASONS[d.reason]}` : '');
    tr.append(
      cell(d.kind === 'late' ? 'late data' : 'dead letter'),
      reason,
      cell(d.total, 'num'),
      cell(fmtRate(d.perSec), 'num'),
      cell(
        Object.entries(d.byWorker)
          .map(([w, n]) => `${w}: ${n}`)
          .join(', '),
        'wrap',
      ),
    );
    return tr;
  });
  $('diverted').tBodies[0].replaceChildren(...rows);
  $('diverted-none').hidden = rows.length > 0;
}

function renderRebalances(s, snap) {
  const rows = (s.rebalances ?? []).map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.rebalance = r.rebalanceId;
    const duration =
      r.finishedAtMs === null
        ? `running ${fmtAge(snap.atMs - r.startedAtMs)}`
        : fmtAge(r.finishedAtMs - r.startedAtMs);
    tr.append(
      cell(r.epoch, 'num'),
      cell(r.reason),
      cell(r.moves, 'num'),
      cell(duration, 'num'),
      traceButton(r.traceId, `the rebalance to epoch ${r.epoch}`),
    );
    return tr;
  });
  $('rebalances').tBodies[0].replaceChildren(...rows);
}

async function showTrace(traceId, what) {
  selectedTrace = traceId;
  for (const b of document.querySelectorAll('button[data-trace]'))
    b.setAttribute('aria-pressed', String(b.dataset.trace === traceId));
  const panel = $('trace-panel');
  panel.hidden = false;
  $('trace-h').textContent = `Trace of ${what}`;
  $('trace-status').textContent = 'Loading the trace from Jaeger…';
  $('waterfall').replaceChildren();
  $('trace-h').focus();
  // Spans reach Jaeger as their processes export them (a root span ends last): poll for a while.
  let shown = -1;
  for (let attempt = 0; attempt < 15 && selectedTrace === traceId; attempt++) {
    const r = await fetch(`/api/traces/${traceId}`);
    const body = await r.json();
    if (selectedTrace !== traceId) return;
    if (r.ok) {
      if (body.spans.length !== shown) renderWaterfall(body.spans, traceId);
      shown = body.spans.length;
    } else if (shown < 0) {
      $('trace-status').textContent = `${body.error ?? r.status}${r.status === 404 ? ' — retrying' : ''}`;
      if (r.status !== 404) return;
    }
    await new Promise((ok) => setTimeout(ok, 2000));
  }
}

function renderWaterfall(spans, traceId) {
  const end = Math.max(1, ...spans.map((s) => s.startUs + s.durationUs));
  $('trace-status').textContent = `${spans.length} spans, ${fmtAge(end / 1000)} (trace ${traceId})`;
  $('waterfall').replaceChildren(
    ...spans.map((s) => {
      const li = document.createElement('li');
      li.dataset.span = s.name;
      const label = document.createElement('span');
      label.className = 'label';
      label.style.paddingLeft = `${s.depth * 14}px`;
      label.textContent = `${s.name} · ${s.service}`;
      const track = document.createElement('span');
      track.className = 'track';
      track.setAttribute('aria-hidden', 'true');
      const bar = document.createElement('span');
      bar.className = `bar${s.error ? ' error' : ''}`;
      bar.style.left = `${(100 * s.startUs) / end}%`;
      bar.style.width = `${(100 * s.durationUs) / end}%`;
      track.append(bar);
      const sr = document.createElement('span');
      sr.className = 'sr-only';
      sr.textContent = `, starts at ${fmtAge(s.startUs / 1000)}, lasts ${fmtAge(s.durationUs / 1000)}${s.error ? ', failed' : ''}`;
      li.append(label, sr, track);
      return li;
    }),
  );
}

function render(snap) {
  const s = snap.status;
  if (s === null) {
    $('summary').textContent = 'Coordinator starting (not connected to the cluster yet)';
    return;
  }
  const unowned = (s.partitions ?? []).filter((p) => p.workerId === null).length;
  const summary = `Epoch ${s.epoch} · leader ${s.leaderId ?? 'none'} · ${s.workers.length} workers · ${s.numPartitions} partitions${unowned > 0 ? ` (${unowned} unowned)` : ''}`;
  // Only announce changes, not every second's refresh.
  if ($('summary').textContent !== summary) $('summary').textContent = summary;
  document.body.dataset.epoch = String(s.epoch);
  document.body.dataset.workers = String(s.workers.length);
  renderMembers(s, snap);
  renderGrid(s);
  renderChart('eps', snap, 'eventsPerSec');
  renderChart('lag', snap, 'lag');
  renderDiverted(snap);
  renderCheckpoints(snap);
  renderRebalances(s, snap);
}

const events = new EventSource('/api/dashboard/events');
events.onmessage = (e) => render(JSON.parse(e.data));
events.onerror = () => {
  $('summary').textContent = 'Disconnected from the coordinator — reconnecting…';
};

// The live VWAP table: its own event stream, re-opened when the search changes.
const fmtNum = (n, digits) =>
  n === null ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits });
const fmtWindow = (startNs, endNs) => {
  const start = new Date(Number(BigInt(startNs) / 1000000n));
  const seconds = Number((BigInt(endNs) - BigInt(startNs)) / 1000000n) / 1000;
  return `${start.toISOString().slice(11, 19)} UTC +${seconds} s`;
};
let vwapEvents = null;
let vwapQuery = null;
function watchVwap(query) {
  if (query === vwapQuery) return;
  vwapQuery = query;
  vwapEvents?.close();
  vwapEvents = new EventSource(`/api/vwap/events?q=${encodeURIComponent(query)}`);
  vwapEvents.onmessage = (e) => renderVwap(JSON.parse(e.data), query);
}
function renderVwap(v, query) {
  const table = $('vwap');
  table.dataset.query = query;
  const rows = v.rows.map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.symbol = r.symbol;
    tr.dataset.windowStart = r.windowStartNs;
    tr.dataset.vwap = String(r.vwap);
    tr.dataset.volume = String(r.volume);
    const sym = document.createElement('th');
    sym.scope = 'row';
    sym.textContent = r.symbol;
    tr.append(
      sym,
      cell(fmtWindow(r.windowStartNs, r.windowEndNs)),
      cell(fmtNum(r.vwap, 6), 'num vwap'),
      cell(fmtNum(r.volume, 2), 'num'),
      cell(fmtNum(r.count, 0), 'num'),
    );
    return tr;
  });
  table.tBodies[0].replaceChildren(...rows);
  const what =
    v.symbols === 0
      ? `No VWAP rows yet — ${v.source}`
      : `${v.matched} of ${v.symbols} symbols match${query ? ` “${query}”` : ''}; ${rows.length} row${rows.length === 1 ? '' : 's'} shown`;
  // the live region speaks when the answer to a search changes, not at every update
  if ($('vwap-status').textContent !== what) $('vwap-status').textContent = what;
}
let searchTimer = null;
$('vwap-q').addEventListener('input', (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => watchVwap(e.target.value.trim()), 200);
});
$('vwap-form').addEventListener('submit', (e) => {
  e.preventDefault();
  watchVwap($('vwap-q').value.trim());
});
watchVwap('');
