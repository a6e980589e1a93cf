// engram's NTM as a tf.layers RNN cell inside tf.sequential, next to a Dense layer: fit, save to a
// directory, load it back and check the loaded model predicts exactly what the trained one did.
// The toy task: output at every step the input of the step before.
//   node examples/layers-cell.mjs          (installed from npm)
//   npx -y pnpm@10 example layers-cell     (in this repository, from source)
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@engram/tensor';
import { engramCell } from '@engram/model';
import { fileHandler } from '@engram/model/node';

await initBackend('cpu', { quiet: true });

const B = 32,
  T = 6,
  X = 3;
const x = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([B, T, X], 0, 1, 'float32', 1), 0.5), 'float32'));
const y = tf.tidy(() => tf.concat([tf.zeros([B, 1, X]), tf.slice(x, [0, 0, 0], [B, T - 1, X])], 1));

const model = tf.sequential();
model.add(
  tf.layers.rnn({
    cell: engramCell({ controller: { kind: 'lstm', units: 16 }, memory: { slots: 8, width: 4 }, seed: 2 }),
    returnSequences: true,
    inputShape: [T, X],
  }),
);
model.add(tf.layers.dense({ units: X, activation: 'sigmoid' }));
model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
const history = await model.fit(x, y, { epochs: 20, batchSize: B, verbose: 0, shuffle: false });
const losses = history.history.loss;

const dir = mkdtempSync(join(tmpdir(), 'engram-example-'));
try {
  await model.save(fileHandler(dir)); // model.json + weights.bin
  const loaded = await tf.loadLayersModel(fileHandler(dir));
  const before = model.predict(x).dataSync();
  const after = loaded.predict(x).dataSync();
  const same = before.every((v, i) => v === after[i]);
  console.log(JSON.stringify({ example: 'layers-cell', firstLoss: losses[0], lastLoss: losses.at(-1), reloadedIdentical: same }));
  if (!same || !(losses.at(-1) < losses[0])) process.exit(1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
