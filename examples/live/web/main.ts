/**
 * The live page: controls, numbers and two uPlot charts (the loss on a log axis, and exp(x) with
 * the current model), redrawn ten times a second while `train()` runs in time slices.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { envelope, powerOfTen } from '@fluxion/viz';
import { Session, defaultSettings, fitGrid, parseHidden } from './session.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`live: no #${id} in the page`);
  return el as T;
};
const startBtn = $<HTMLButtonElement>('start');
const pauseBtn = $<HTMLButtonElement>('pause');
const resetBtn = $<HTMLButtonElement>('reset');
const lrIn = $<HTMLInputElement>('lr');
const hiddenIn = $<HTMLInputElement>('hidden');
const batchIn = $<HTMLInputElement>('batch');
const stepOut = $('step');
const lossOut = $('loss');
const avgOut = $('avg');
const rateOut = $('rate');
const statusOut = $('status');
const modelOut = $('model');
const lossEl = $('loss-chart');
const fitEl = $('fit-chart');

const session = new Session(defaultSettings, () => syncControls());

// ---------------------------------------------------------------------------------------- charts

const chartSize = (el: HTMLElement) => ({ width: Math.max(300, el.clientWidth), height: 320 });
const isPow10 = (v: number) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
const redraws = { loss: 0, fit: 0 };

const lossChart = new uPlot(
  {
    ...chartSize(lossEl),
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [
      { label: 'step', grid: { stroke: '#eee' } },
      {
        label: 'loss (MSE)',
        size: 60,
        grid: { stroke: '#eee' },
        values: (_u, splits) => splits.map((v) => (v > 0 && isPow10(v) ? powerOfTen(Math.round(Math.log10(v))) : '')),
      },
    ],
    series: [{ label: 'step' }, { label: 'loss per step', stroke: '#4e79a7', width: 1, points: { show: false } }],
    legend: { live: false },
    cursor: { show: false },
    hooks: { draw: [() => void redraws.loss++] },
  },
  [[], []],
  lossEl,
);

const xs = Array.from(fitGrid.data);
const exs = xs.map(Math.exp);
const fitChart = new uPlot(
  {
    ...chartSize(fitEl),
    scales: { x: { time: false }, y: { auto: false, range: [0.5, 3] } },
    axes: [
      { label: 'x', grid: { stroke: '#eee' } },
      { label: 'y', grid: { stroke: '#eee' } },
    ],
    series: [
      { label: 'x' },
      { label: 'exp(x)', stroke: '#4e79a7', width: 3.5, points: { show: false } },
      { label: 'model', stroke: '#e15759', width: 2, points: { show: false } },
    ],
    legend: { live: false },
    cursor: { show: false },
    hooks: { draw: [() => void redraws.fit++] },
  },
  [xs, exs, Array.from(session.predictGrid())],
  fitEl,
);

addEventListener('resize', () => {
  lossChart.setSize(chartSize(lossEl));
  fitChart.setSize(chartSize(fitEl));
});

// ---------------------------------------------------------------------------------------- redraw

/** Steps per second over the last second or so, from (time, step) samples taken at each redraw. */
const samples: { t: number; step: number }[] = [];
let rate = NaN;
let drawn = -1;

function redraw(): void {
  const now = performance.now();
  samples.push({ t: now, step: session.step });
  while (samples.length > 2 && now - samples[0]!.t > 1500) samples.shift();
  const first = samples[0]!;
  // While paused, the last rate stays on show.
  if (session.running && now > first.t + 200) rate = ((session.step - first.step) * 1000) / (now - first.t);
  rateOut.textContent = Number.isFinite(rate) ? rate.toFixed(0) : '–';
  if (session.version === drawn) return;
  drawn = session.version;

  const n = session.losses.length;
  stepOut.textContent = String(session.step);
  lossOut.textContent = n > 0 ? session.losses[n - 1]!.toExponential(3) : '–';
  avgOut.textContent = n > 0 ? session.recentLoss(100).toExponential(3) : '–';
  // A long run keeps its look at a fixed cost: per pixel column, the smallest and largest loss.
  const pts = envelope(session.steps, session.losses, 1000);
  lossChart.setData([pts.map((p) => p[0]), pts.map((p) => p[1])]);
  fitChart.setData([xs, exs, Array.from(session.predictGrid())]);
  document.body.dataset['step'] = String(session.step);
}
setInterval(redraw, 100);

// ---------------------------------------------------------------------------------------- controls

function describeModel(): string {
  const s = session.settings;
  return `MLP ${[1, ...s.hidden, 1].join('→')}, leaky ReLU 0.2 after every layer, Adam α = ${s.lr}, batches of ${s.batch}, x ~ U[0, 1), t = exp(x)`;
}

function syncControls(): void {
  const st = session.status;
  startBtn.disabled = session.running || parseHidden(hiddenIn.value) === null;
  startBtn.textContent = st.kind === 'paused' || (st.kind === 'error' && session.step > 0) ? 'Continue' : 'Start';
  pauseBtn.disabled = !session.running;
  statusOut.textContent = st.kind === 'error' ? st.message : st.kind;
  statusOut.classList.toggle('error', st.kind === 'error');
  document.body.dataset['status'] = st.kind;
  modelOut.textContent = describeModel();
  redraw();
}

const positive = (input: HTMLInputElement, integer: boolean): number | null => {
  const v = Number(input.value);
  const ok = Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v));
  input.setCustomValidity(ok ? '' : 'must be a positive number');
  return ok ? v : null;
};

startBtn.addEventListener('click', () => {
  samples.length = 0;
  session.start();
});
pauseBtn.addEventListener('click', () => session.pause());
resetBtn.addEventListener('click', () => {
  const hidden = parseHidden(hiddenIn.value);
  const lr = positive(lrIn, false);
  const batch = positive(batchIn, true);
  session.reset({ ...(hidden ? { hidden } : {}), ...(lr ? { lr } : {}), ...(batch ? { batch } : {}) });
  samples.length = 0;
  rate = NaN;
});
lrIn.addEventListener('change', () => {
  const lr = positive(lrIn, false);
  if (lr !== null) session.update({ lr });
});
batchIn.addEventListener('change', () => {
  const batch = positive(batchIn, true);
  if (batch !== null) session.update({ batch });
});
hiddenIn.addEventListener('input', () => {
  const hidden = parseHidden(hiddenIn.value);
  hiddenIn.setCustomValidity(hidden ? '' : 'hidden sizes: 1 to 6 integers in 1…512, e.g. 16, 32');
  // Before the first step a new size applies at once; later, on reset.
  if (hidden && session.step === 0 && !session.running) session.reset({ hidden });
  syncControls();
  if (!hidden) statusOut.textContent = 'hidden sizes: 1 to 6 integers in 1…512, e.g. 16, 32';
  else if (hidden.join() !== session.settings.hidden.join()) statusOut.textContent = 'new hidden sizes apply on reset';
});

/** For tests and the console: what the page shows, as numbers. */
(globalThis as { fluxionLive?: unknown }).fluxionLive = {
  state: () => ({
    step: session.step,
    loss: session.losses.length ? session.losses[session.losses.length - 1] : null,
    recentLoss: session.recentLoss(100),
    running: session.running,
    status: session.status.kind,
    rate,
    redraws: { ...redraws },
    hidden: session.settings.hidden,
  }),
};

syncControls();
