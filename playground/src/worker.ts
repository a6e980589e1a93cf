/// <reference lib="webworker" />
// The training worker: all tensor work happens here, so the page stays responsive. It runs
// engram's own Trainer, model and tasks, on the wasm backend (its .wasm files served in ./wasm/).
import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng, type SequenceBatch } from '@engram/tensor';
import { fusedUnsupportedReason, simdKernelsActive } from '@engram/memory';
import { assignWeights, buildModel, checkpointFromArtifacts, Trainer, unroll, type ModelConfig, type SequenceModel } from '@engram/model';
import { copy, copyExample } from '@engram/task-copy';
import { associativeRecall } from '@engram/task-associative-recall';
import { packExamples } from '@engram/tensor';
import copyExperiment from '../../experiments/copy.json' with { type: 'json' };
import recallExperiment from '../../experiments/associative-recall.json' with { type: 'json' };
import type { Reply, Request, TaskChoice, Traced } from './protocol.ts';

const post = (m: Reply) => (self as unknown as Worker).postMessage(m);

let training = false;
let trained: SequenceModel | undefined;

/** One example through a model in evaluation mode, as plain arrays (batch of 1). */
function trace(model: SequenceModel, batch: SequenceBatch): Traced {
  const { outputs, trace: t } = unroll(model, batch.inputs, { training: false, trace: true });
  const example = tf.tidy(() => {
    const probs = tf.sigmoid(tf.squeeze(outputs, [1]));
    const targets = tf.squeeze(batch.targets, [1]);
    const mask = tf.squeeze(batch.mask, [1]);
    const wrong = tf.sum(tf.mul(tf.notEqual(tf.greater(probs, 0.5), tf.greater(targets, 0.5)).toFloat(), tf.expandDims(mask, 1)));
    return {
      inputs: tf.squeeze(batch.inputs, [1]).arraySync() as number[][],
      targets: targets.arraySync() as number[][],
      outputs: probs.arraySync() as number[][],
      mask: mask.arraySync() as number[],
      write: tf.squeeze(tf.slice(t!.writeWeights, [0, 0, 0, 0], [-1, 1, 1, -1]), [1, 2]).arraySync() as number[][],
      read: tf.squeeze(tf.slice(t!.readWeights, [0, 0, 0, 0], [-1, 1, 1, -1]), [1, 2]).arraySync() as number[][],
      errors: wrong.dataSync()[0] as number,
    };
  });
  tf.dispose([outputs, t as unknown as tf.TensorContainer]);
  return example;
}

async function train(choice: TaskChoice): Promise<void> {
  const experiment = choice === 'copy' ? copyExperiment : recallExperiment;
  const task = choice === 'copy' ? copy.make(experiment.task.options) : associativeRecall.make(experiment.task.options);
  const config = { ...experiment.model, inputSize: task.inputSize, outputSize: task.outputSize, seed: 1 } as ModelConfig;
  const model = buildModel(config);
  const { stopWhen: _stop, lengths: _lengths, ...settings } = experiment.train;
  const trainer = new Trainer(model, task, { ...settings, steps: Number.MAX_SAFE_INTEGER, seed: 1 } as never);
  const shown = task.sample(1, new Rng('playground/example'));
  training = true;
  let last = performance.now();
  let since = 0;
  try {
    while (training) {
      const rec = trainer.trainStep();
      since += 1;
      if (trainer.step % 5 === 0) {
        const now = performance.now();
        post({
          type: 'progress',
          task: choice,
          step: trainer.step,
          sequences: trainer.sequences,
          loss: rec.loss,
          cost: rec.cost,
          stepsPerSecond: since / ((now - last) / 1000),
        });
        last = now;
        since = 0;
      }
      if (trainer.step % 25 === 0 || trainer.step === 1) post({ type: 'trace', task: choice, step: trainer.step, example: trace(model, shown) });
      await new Promise((r) => setTimeout(r, 0)); // let 'stop' in
    }
    post({ type: 'stopped', step: trainer.step });
  } finally {
    tf.dispose([shown.inputs, shown.targets, shown.mask]);
    trainer.dispose();
    model.dispose();
  }
}

async function load(url: string): Promise<string> {
  const handler = tf.io.browserHTTPRequest(url);
  if (!handler.load) throw new Error('tfjs has no HTTP loader here');
  const artifacts = await handler.load();
  const ckpt = checkpointFromArtifacts(artifacts, url);
  try {
    trained?.dispose();
    const config = ckpt.modelConfig as ModelConfig;
    trained = buildModel(config);
    assignWeights(trained.namedVariables, config, ckpt);
  } finally {
    tf.dispose([...Object.values(ckpt.weights), ...Object.values(ckpt.optimizer)]);
  }
  const m = ckpt.meta as { experiment?: string; seed?: number; sequences?: number };
  return `${m.experiment ?? 'copy'} seed ${m.seed ?? '?'}, trained on ${m.sequences ?? '?'} sequences of length 1-20`;
}

function copyWith(model: SequenceModel, length: number | undefined, pattern: number[][] | undefined): { length: number; example: Traced } {
  const bits = model.outputSize;
  let batch: SequenceBatch;
  if (pattern) {
    // the user's own vectors, laid out as copyExample lays out random ones
    const base = copyExample(bits, pattern.length, new Rng('pattern'));
    const x = bits + 1;
    pattern.forEach((row, t) =>
      row.forEach((bit, j) => {
        base.inputs[t * x + j] = bit;
        base.targets[(pattern.length + 1 + t) * bits + j] = bit;
      }),
    );
    batch = packExamples([base], x, bits);
  } else {
    batch = packExamples([copyExample(bits, length ?? 10, new Rng(`playground/copy/${length}`))], bits + 1, bits);
  }
  try {
    return { length: pattern?.length ?? length ?? 10, example: trace(model, batch) };
  } finally {
    tf.dispose([batch.inputs, batch.targets, batch.mask]);
  }
}

// the .wasm files sit in /wasm/ beside the page; the worker is in /assets/ (built) or /src/ (dev).
// (A variable, not a literal: Vite would otherwise try to bundle the folder as an asset.)
const WASM_DIR = '../wasm/';
let ready: Promise<void> | undefined;

function start(backend: string): Promise<void> {
  return initBackend(backend, { quiet: true, wasmPaths: new URL(WASM_DIR, import.meta.url).href })
    .then((b) => {
      post({ type: 'ready', backend: b.name, fused: fusedUnsupportedReason('cosine') === undefined, simd: simdKernelsActive() });
    })
    .catch((e) => post({ type: 'error', message: `backend: ${(e as Error).message}` }));
}

self.onmessage = async (event: MessageEvent<Request>) => {
  const m = event.data;
  if (m.type === 'init') {
    ready ??= start(m.backend);
    return;
  }
  ready ??= start('wasm'); // a page that sent no init
  await ready;
  try {
    if (m.type === 'train') await train(m.task);
    else if (m.type === 'stop') training = false;
    else if (m.type === 'load') post({ type: 'loaded', description: await load(m.url) });
    else if (m.type === 'copy') {
      if (!trained) throw new Error('load the trained model first');
      post({ type: 'copied', ...copyWith(trained, m.length, m.pattern) });
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
};
