import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng } from '@engram/tensor';
import { buildModel, clipGradients, makeOptimizer, maskedSigmoidCrossEntropy, unroll, type SequenceModel } from '@engram/model';
import { copyBatch, ntmCopyConfig } from './copyWorkload.ts';
await initBackend(process.argv[2] ?? 'wasm', { quiet: true });
const batch = Number(process.argv[3] ?? 1);
const model = buildModel(ntmCopyConfig('auto'));
const perStep: SequenceModel = { config: model.config, inputSize: model.inputSize, outputSize: model.outputSize, namedVariables: model.namedVariables,
  initialState: (b) => model.initialState(b), step: (x, s, o) => model.step(x, s as never, o), dispose: () => {} };
const opt = makeOptimizer({ kind: 'adam', lr: 1e-3 });
const names = Object.keys(model.namedVariables);
const vars = names.map((n) => model.namedVariables[n] as tf.Variable);
function step(m: SequenceModel, rng: Rng) {
  const data = copyBatch(batch, 1, 20, rng);
  const { value, grads } = tf.variableGrads(() => maskedSigmoidCrossEntropy(unroll(m, data.inputs, { training: true }).outputs, data.targets, data.mask), vars);
  const byPath: Record<string, tf.Tensor> = {};
  for (const n of names) byPath[n] = grads[(model.namedVariables[n] as tf.Variable).name] as tf.Tensor;
  const c = clipGradients(byPath, { globalNorm: 50 });
  opt.apply(model.namedVariables, c.grads);
  value.dataSync();
  tf.dispose([value, grads, c.grads, c.norm, data.inputs, data.targets, data.mask]);
}
const res: Record<string, number[]> = { perStep: [], once: [] };
for (let r = 0; r < 6; r++) {
  for (const [name, m] of [['perStep', perStep], ['once', model]] as const) {
    const rng = new Rng(`ab/${r}`);
    if (r === 0) { step(m, rng); step(m, rng); }
    const t0 = performance.now();
    for (let i = 0; i < 8; i++) step(m, rng);
    res[name]!.push(8 * batch * 1000 / (performance.now() - t0));
  }
}
const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1]!;
console.log(`batch ${batch}: per-step readout ${med(res.perStep!).toFixed(2)} seq/s, once ${med(res.once!).toFixed(2)} seq/s, ratio ${(med(res.once!) / med(res.perStep!)).toFixed(3)}`);
