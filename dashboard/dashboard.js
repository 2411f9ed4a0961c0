// The dashboard's page: follows /api/events and draws the job's plan, its
// throughput, stages, checkpoints and failures. Plain browser JS, no build
// step; uPlot (served by the same server) draws the chart. After the `end`
// event the page keeps the job's final state.
'use strict';

const BOX = { width: 180, height: 92, column: 250, row: 130, margin: 16 };
const COLOURS = ['#2f7bd8', '#e0762b', '#2e9d57', '#b53fb0', '#c0a020', '#1aa3a3', '#d43d3d', '#6b5bd6'];
const HISTORY = 600;
const RATE_WINDOW_MS = 1000;

/** A DOM element with its attributes and children (strings become text, never markup). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children.map((child) => (child instanceof Node ? child : String(child))));
  return node;
}

const number = (value) => (value === undefined ? '' : Number(value).toLocaleString('en-US'));
const time = (ms) => new Date(ms).toLocaleTimeString('en-GB');
const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];
const bytes = (n) => {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  const unit = Math.min(BYTE_UNITS.length, Math.floor(Math.log2(n) / 10));
  return `${(n / 1024 ** unit).toFixed(1)} ${BYTE_UNITS[unit - 1]}`;
};
/** A checkpoint's size: its manifest and the state files its workers wrote (completed ones only). */
const checkpointBytes = (record) => (record.manifestBytes === undefined ? undefined : record.manifestBytes + (record.stateBytes ?? 0));
/** Bytes of input the stage's workers fetched over the data plane, every transport (the chain's first stage). */
const dataPlaneBytes = (stage) => (stage.dataPlaneBytes ? stage.dataPlaneBytes.socket + stage.dataPlaneBytes.sharedMemory : undefined);
const seconds = (ms) => (ms === undefined ? '' : `${(ms / 1000).toFixed(3)} s`);
const percent = (share) => (share === undefined ? '' : `${Math.round(100 * share)}%`);

/** Where the stage's workers run: "forked ×2", or on a cluster each host agent with its count. */
function placesOf(stage) {
  const counts = new Map();
  for (const place of stage.workerPlaces ?? []) {
    const where = place.host ? `${place.mode} on ${place.host}` : place.mode;
    counts.set(where, (counts.get(where) ?? 0) + 1);
  }
  return [...counts].map(([where, count]) => `${where} ×${count}`).join(', ');
}

/** Each stage's column: the longest path from a source to it. */
function levelsOf(graph) {
  const levels = new Map();
  for (const node of graph) levels.set(node.stage, Math.max(-1, ...node.upstreams.map((up) => levels.get(up) ?? 0)) + 1);
  return levels;
}

/** Each chain's row: the first row where no chain placed earlier overlaps its columns. */
function layout(graph) {
  const levels = levelsOf(graph);
  const chains = [...new Map(graph.map((node) => [node.chain[0], node.chain])).values()];
  const rows = [];
  const position = new Map();
  const frames = [];
  for (const chain of chains) {
    const first = levels.get(chain[0]);
    const last = first + chain.length - 1;
    let row = rows.findIndex((taken) => taken.every(([from, to]) => last < from || first > to));
    if (row === -1) row = rows.push([]) - 1;
    rows[row].push([first, last]);
    chain.forEach((stage, i) => position.set(stage, { x: BOX.margin + (first + i) * BOX.column, y: BOX.margin + 8 + row * BOX.row }));
    frames.push({ chain, x: BOX.margin + first * BOX.column, y: BOX.margin + 8 + row * BOX.row, columns: chain.length });
  }
  return { position, frames, width: Math.max(...graph.map((node) => position.get(node.stage).x)) + BOX.width + 2 * BOX.margin, height: rows.length * BOX.row + BOX.margin * 2 };
}

class PlanView {
  constructor(container) {
    this.container = container;
    this.boxes = new Map();
  }

  /** Draws the boxes, chain frames and edges once; the plan does not change while a job runs. */
  draw(graph) {
    const { position, frames, width, height } = layout(graph);
    this.container.replaceChildren();
    this.container.style.height = `${height}px`;
    this.container.style.width = `${width}px`;
    const pad = 8;
    for (const frame of frames.filter((f) => f.chain.length > 1)) {
      const box = el('div', { class: 'chain', title: `fused chain ${frame.chain.join('+')}` }, el('span', { class: 'chain-name' }, `fused: ${frame.chain.join('+')}`));
      Object.assign(box.style, { left: `${frame.x - pad}px`, top: `${frame.y - pad}px`, width: `${(frame.columns - 1) * BOX.column + BOX.width + 2 * pad}px`, height: `${BOX.height + 2 * pad}px` });
      this.container.append(box);
    }
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#6b7890"/></marker></defs>';
    for (const node of graph) {
      for (const upstream of node.upstreams) {
        const from = position.get(upstream);
        const to = position.get(node.stage);
        const line = document.createElementNS('http://www.w3.org/2000/svg', 'path');
        const [x1, y1, x2, y2] = [from.x + BOX.width, from.y + BOX.height / 2, to.x, to.y + BOX.height / 2];
        line.setAttribute('d', `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2 - 2},${y2}`);
        line.setAttribute('class', 'edge');
        line.setAttribute('data-edge', `${upstream}->${node.stage}`);
        line.setAttribute('fill', 'none');
        line.setAttribute('stroke', '#6b7890');
        line.setAttribute('stroke-width', '2');
        line.setAttribute('marker-end', 'url(#arrow)');
        svg.append(line);
      }
    }
    this.container.append(svg);
    for (const node of graph) {
      const box = el('div', { class: 'stage', 'data-stage': node.stage },
        el('span', { class: 'state' }, ''), el('div', { class: 'name' }, node.stage),
        el('div', {}, 'rows ', el('span', { class: 'rows-in' }, '0'), ' in, ', el('span', { class: 'rows-out' }, '0'), ' out'),
        el('div', {}, 'workers ', el('span', { class: 'workers' }, ''), ', queued ', el('span', { class: 'queued' }, '')),
        el('div', {}, 'buffered ', el('span', { class: 'buffered' }, ''), el('span', { class: 'dead-letters' }, '')));
      Object.assign(box.style, { left: `${position.get(node.stage).x}px`, top: `${position.get(node.stage).y}px` });
      this.boxes.set(node.stage, box);
      this.container.append(box);
    }
  }

  update(stages) {
    for (const stage of stages) {
      const box = this.boxes.get(stage.stage);
      if (!box) continue;
      box.className = `stage state-${stage.state}`;
      const set = (selector, text) => (box.querySelector(selector).textContent = text);
      set('.state', stage.state);
      set('.rows-in', number(stage.rowsIn));
      set('.rows-out', number(stage.rowsOut));
      set('.workers', workersOf(stage));
      set('.queued', number(stage.queued));
      set('.buffered', `${stage.buffered}/${stage.bufferCapacity}`);
      set('.dead-letters', stage.deadLetters ? `, dead letters ${number(stage.deadLetters)}` : '');
    }
  }
}

/** Workers now, and for an elastic stage its target: "2/4". */
const workersOf = (stage) => (stage.scaling ? `${stage.workers}/${stage.scaling.target}` : String(stage.workers));

/**
 * Rows read per second by each stage, over the last second or more of
 * statuses (rows arrive a split at a time: a shorter window would spike).
 */
class ThroughputChart {
  constructor(container, stages) {
    this.stages = stages;
    this.samples = [];
    this.data = [[], ...stages.map(() => [])];
    this.plot = new uPlot({
      width: Math.max(480, Math.min(window.innerWidth - 64, 1100)),
      height: 260,
      scales: { x: { time: true } },
      series: [{}, ...stages.map((stage, i) => ({ label: stage, stroke: COLOURS[i % COLOURS.length], width: 2, value: (_, v) => (v === null ? '' : `${v.toFixed(0)} rows/s`) }))],
      axes: [{}, { label: 'rows/s', size: 70 }],
    }, this.data, container);
  }

  add(at, stages) {
    const rows = new Map(stages.map((stage) => [stage.stage, stage.rowsIn]));
    this.samples.push({ at, rows });
    while (this.samples.length > 2 && this.samples[1].at <= at - RATE_WINDOW_MS) this.samples.shift();
    const since = this.samples[0];
    if (since.at >= at) return;
    const span = (at - since.at) / 1000;
    this.data[0].push(at / 1000);
    // A restart starts the counters again: a count that went down counts from zero.
    this.stages.forEach((stage, i) => {
      const now = rows.get(stage) ?? 0;
      const before = since.rows.get(stage) ?? 0;
      this.data[i + 1].push((now >= before ? now - before : now) / span);
    });
    if (this.data[0].length > HISTORY) this.data.forEach((series) => series.shift());
    this.plot.setData(this.data);
  }
}

function renderStages(stages) {
  document.querySelector('#stages tbody').replaceChildren(...stages.map((stage) => {
    const busy = stage.workerTime && stage.workerTime.workersMs > 0 ? `${Math.round((100 * stage.workerTime.busyMs) / stage.workerTime.workersMs)}%` : '';
    return el('tr', { 'data-stage': stage.stage },
      el('td', {}, stage.stage), el('td', { class: 'text' }, stage.state), el('td', { class: 'workers' }, workersOf(stage)),
      el('td', { class: 'places' }, placesOf(stage)), el('td', {}, number(stage.inFlight)), el('td', { class: 'queued' }, number(stage.queued)),
      el('td', {}, `${stage.buffered} / ${stage.bufferCapacity} (${stage.maxBuffered})`),
      el('td', {}, `${stage.splitsIn} / ${stage.splitsOut} / ${stage.splitsPlanned ?? '?'}`),
      el('td', { class: 'rows-in' }, number(stage.rowsIn)), el('td', { class: 'rows-out' }, number(stage.rowsOut)), el('td', {}, busy),
      el('td', {}, number(stage.recordsSkipped ?? 0)), el('td', { class: 'dead-letters' }, number(stage.deadLetters ?? 0)),
      el('td', {}, number(stage.replacedAt?.length ?? 0)), el('td', { class: 'dataplane-bytes' }, bytes(dataPlaneBytes(stage))));
  }));
}

function renderCheckpoints(report) {
  const recent = report ? [...report.recent].reverse() : [];
  document.getElementById('checkpoint-totals').textContent = report ? `(${report.completed} completed, ${report.failed} failed, ${report.abandoned} abandoned)` : '';
  document.querySelector('#checkpoints tbody').replaceChildren(...recent.map((record) => el('tr', { 'data-checkpoint': record.id, class: `outcome-${record.outcome}` },
    el('td', {}, record.id), el('td', {}, time(record.startedAt)), el('td', {}, seconds(record.durationMs)), el('td', { class: 'size' }, bytes(checkpointBytes(record))),
    el('td', {}, record.final ? 'yes' : ''), el('td', { class: 'outcome' }, record.outcome), el('td', { class: 'text' }, record.error ?? ''))));
}

/** The autoscalers' decisions that changed a stage's worker count, newest first. */
function renderScaling(stages) {
  const decisions = stages.flatMap((stage) => (stage.scaling?.decisions ?? []).map((decision) => ({ stage: stage.stage, ...decision })));
  decisions.sort((a, b) => b.at - a.at);
  document.querySelector('#scaling tbody').replaceChildren(...decisions.map((decision) => el('tr', { 'data-stage': decision.stage },
    el('td', {}, time(decision.at)), el('td', {}, decision.stage), el('td', { class: 'change' }, `${decision.from} → ${decision.to}`),
    el('td', {}, percent(decision.busy)), el('td', {}, percent(decision.blocked)), el('td', {}, percent(decision.starved)), el('td', {}, number(decision.queued)),
    el('td', { class: 'text' }, decision.reason))));
}

/** An error and its causes: the first line, then one line per cause. */
function errorText(error) {
  const lines = [el('span', {}, `${error.name}: ${error.message}`)];
  for (let cause = error.cause; cause; cause = cause.cause) lines.push(el('span', { class: 'cause' }, `caused by ${cause.name}: ${cause.message}`));
  return lines;
}

/** Failed attempts with their errors, failed stages and checkpoints, the errors outputs' samples: what went wrong, with its text. */
function renderFailures(status) {
  const items = [];
  if (status.restarts > 0) items.push(el('li', { class: 'restarts' }, `${status.restarts} restart(s) from a checkpoint after losing a worker`));
  for (const failure of status.failures ?? []) {
    const answer = { restarted: 'the job restarted from its last completed checkpoint', failed: 'the job failed', stopped: 'the job was stopped' }[failure.answer];
    items.push(el('li', { class: `failure attempt-${failure.answer}` }, `${time(failure.at)} attempt ${failure.attempt}: ${answer}. `, ...errorText(failure.error)));
  }
  for (const stage of status.stages) {
    if (stage.state === 'failed') items.push(el('li', { class: 'failure' }, `stage ${stage.stage} failed`));
    for (const sample of stage.errorSamples ?? []) items.push(el('li', { class: 'failure' }, `stage ${stage.stage} errors output: ${sample}`));
  }
  for (const record of status.checkpoints?.recent ?? []) {
    if (record.outcome === 'failed') items.push(el('li', { class: 'failure' }, `checkpoint ${record.id} failed: ${record.error ?? ''}`));
  }
  document.getElementById('failures').replaceChildren(...(items.length > 0 ? items : [el('li', {}, 'none')]));
  const lost = status.stages.flatMap((stage) => (stage.lostWorkers ?? []).map((record) => ({ stage: stage.stage, ...record })));
  lost.sort((a, b) => b.at - a.at);
  document.querySelector('#lost-workers tbody').replaceChildren(...lost.map((record) => el('tr', { 'data-stage': record.stage, class: `answer-${record.answer}` },
    el('td', {}, time(record.at)), el('td', {}, record.stage), el('td', {}, record.worker), el('td', { class: 'text' }, record.splitId ?? ''),
    el('td', { class: 'answer' }, record.answer), el('td', { class: 'text' }, record.why))));
}

function renderSummary(status) {
  document.getElementById('job-id').textContent = status.jobId;
  document.body.dataset.runner = status.runner;
  const { splitsDone, records } = status.sources;
  document.getElementById('summary').textContent =
    `runner ${status.runner}, job ${status.state}; sources: ${number(splitsDone)} splits, ${number(records)} records read; restarts ${status.restarts}`;
}

const plan = new PlanView(document.getElementById('dag'));
let chart;
let drawn = '';

function render(status) {
  const shape = JSON.stringify(status.graph);
  if (shape !== drawn && status.graph.length > 0) {
    plan.draw(status.graph);
    chart ??= new ThroughputChart(document.getElementById('throughput'), status.graph.map((node) => node.stage));
    drawn = shape;
  }
  renderSummary(status);
  plan.update(status.stages);
  chart?.add(Date.now(), status.stages);
  renderStages(status.stages);
  renderScaling(status.stages);
  renderCheckpoints(status.checkpoints);
  renderFailures(status);
}

const events = new EventSource('/api/events');
events.addEventListener('status', (event) => render(JSON.parse(event.data)));
// The job has ended: draw its final state and stop listening (EventSource would reconnect).
events.addEventListener('end', (event) => {
  events.close();
  render(JSON.parse(event.data));
});
events.onerror = () => {
  if (events.readyState === EventSource.CLOSED) document.getElementById('summary').append(' (disconnected)');
};
