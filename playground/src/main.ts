// The page: buttons and drawings. Every tensor operation runs in the worker (worker.ts).
import { curve, heatmap, rows, usedRows } from './draw.ts';
import type { Reply, Request, TaskChoice, Traced } from './protocol.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: Request) => worker.postMessage(m);
// ?backend=cpu (or webgl) runs the worker on another tfjs backend; wasm by default
const wanted = new URLSearchParams(location.search).get('backend');
send({ type: 'init', backend: wanted === 'cpu' || wanted === 'webgl' ? wanted : 'wasm' });

/** What the page has seen, for people poking at it from the console and for the browser test. */
const state = {
  backend: '',
  fused: false,
  simd: false,
  losses: [] as { step: number; loss: number; cost: number; sequences: number }[],
  loaded: false,
  lastCopy: undefined as undefined | { length: number; errors: number; scored: number },
  errors: [] as string[],
};
(window as unknown as { engram: typeof state }).engram = state;

const BITS = 8;
const PATTERN_LENGTH = 12;
const pattern: number[][] = Array.from({ length: PATTERN_LENGTH }, (_, t) => Array.from({ length: BITS }, (_, j) => ((t * 3 + j) % 5 === 0 ? 1 : 0)));

function drawPattern(): void {
  const table = $('pattern');
  table.innerHTML = '';
  for (let j = 0; j < BITS; j++) {
    const tr = document.createElement('tr');
    for (let t = 0; t < PATTERN_LENGTH; t++) {
      const td = document.createElement('td');
      td.className = pattern[t]![j] ? 'on' : '';
      td.onclick = () => {
        pattern[t]![j] = 1 - pattern[t]![j]!;
        drawPattern();
      };
      tr.append(td);
    }
    table.append(tr);
  }
}

/** Draws a traced example; with `animate`, the heads are revealed one time step per frame. */
function drawExample(prefix: 'train' | 'copy', ex: Traced, animate: boolean): void {
  const span = usedRows([...ex.write, ...ex.read]);
  const write = rows(ex.write, span);
  const read = rows(ex.read, span);
  const outputs = ex.outputs.map((o, t) => (ex.mask[t] ? o : o.map(() => 0)));
  const cell = ex.inputs.length > 100 ? 4 : ex.inputs.length > 40 ? 6 : 10;
  if (prefix === 'copy') heatmap($('copy-in'), ex.inputs, undefined, cell);
  heatmap($(`${prefix}-${prefix === 'copy' ? 'outputs' : 'out'}`), outputs, undefined, cell);
  if (!animate) {
    heatmap($(`${prefix}-write`), write, undefined, cell);
    heatmap($(`${prefix}-read`), read, undefined, cell);
    return;
  }
  let t = 0;
  const frame = () => {
    t += 1;
    heatmap($(`${prefix}-write`), write, t, cell);
    heatmap($(`${prefix}-read`), read, t, cell);
    if (t < write.length) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

worker.onmessage = (event: MessageEvent<Reply>) => {
  const m = event.data;
  switch (m.type) {
    case 'ready':
      state.backend = m.backend;
      state.fused = m.fused;
      state.simd = m.simd;
      $('backend').textContent =
        `ready (tfjs ${m.backend} backend in a Web Worker${m.fused ? `, fused memory kernels${m.simd ? ' (WebAssembly SIMD)' : ''}` : ', composite ops'})`;
      break;
    case 'progress':
      state.losses.push({ step: m.step, loss: m.loss, cost: m.cost, sequences: m.sequences });
      $('train-status').textContent =
        `${m.task}: step ${m.step}, ${m.sequences} sequences, cost ${m.cost.toFixed(2)} bits/seq, ${m.stepsPerSecond.toFixed(1)} steps/s`;
      curve($('curve'), state.losses);
      break;
    case 'trace':
      drawExample('train', m.example, false);
      break;
    case 'stopped':
      $('train-status').textContent += ' (stopped)';
      ($('train') as HTMLButtonElement).disabled = false;
      ($('stop') as HTMLButtonElement).disabled = true;
      break;
    case 'loaded':
      state.loaded = true;
      $('load-status').textContent = `loaded: ${m.description}`;
      ($('copy') as HTMLButtonElement).disabled = false;
      ($('copy-mine') as HTMLButtonElement).disabled = false;
      break;
    case 'copied': {
      const scored = m.example.mask.reduce((a, b) => a + b, 0) * BITS;
      state.lastCopy = { length: m.length, errors: m.example.errors, scored };
      $('copy-status').textContent = `length ${m.length}: ${m.example.errors} of ${scored} bits wrong`;
      drawExample('copy', m.example, true);
      break;
    }
    case 'error':
      state.errors.push(m.message);
      $('backend').textContent = `error: ${m.message}`;
      break;
  }
};

$('train').onclick = () => {
  state.losses = [];
  ($('train') as HTMLButtonElement).disabled = true;
  ($('stop') as HTMLButtonElement).disabled = false;
  send({ type: 'train', task: ($('task') as HTMLSelectElement).value as TaskChoice });
};
$('stop').onclick = () => send({ type: 'stop' });
$('load').onclick = () => send({ type: 'load', url: new URL('models/copy/model.json', document.baseURI).href });
$('copy').onclick = () => send({ type: 'copy', length: Number(($('length') as HTMLSelectElement).value) });
$('copy-mine').onclick = () => send({ type: 'copy', pattern });
$('clear').onclick = () => {
  pattern.forEach((row) => row.fill(0));
  drawPattern();
};
drawPattern();
