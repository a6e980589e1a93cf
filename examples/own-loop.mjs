// Your own recurrent loop around engram's NTM memory: a tanh controller you write yourself,
// MemoryAccess for the heads and the memory, trained with a plain tfjs optimizer.
// The toy task: at every step, output the input of three steps earlier (it must be stored).
//   node examples/own-loop.mjs          (installed from npm)
//   npx -y pnpm@10 example own-loop     (in this repository, from source)
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@engram/tensor';
import { MemoryAccess } from '@engram/memory';

await initBackend('cpu', { quiet: true });

const B = 16,
  T = 12,
  X = 4,
  H = 32,
  N = 16,
  M = 8,
  DELAY = 3;
const access = new MemoryAccess({ slots: N, width: M, readHeads: 1, writeHeads: 1, controllerSize: H, seed: 1 });
const wIn = tf.variable(tf.randomNormal([X + M, H], 0, 0.3, 'float32', 1), true, 'example/wIn'); // [X + R*M, H]
const wOut = tf.variable(tf.randomNormal([H + M, X], 0, 0.3, 'float32', 2), true, 'example/wOut'); // [H + R*M, X]

/** Logits [T, B, X] for inputs [T, B, X]: read the previous read vector, think, address, read and write. */
function forward(inputs) {
  let state = access.initialState(B);
  const logits = tf.unstack(inputs).map((x) => {
    const h = tf.tanh(tf.matMul(tf.concat([x, tf.reshape(state.readVectors, [B, M])], 1), wIn));
    const [reads, next] = access.step(h, state);
    state = next;
    return tf.matMul(tf.concat([h, tf.reshape(reads, [B, M])], 1), wOut);
  });
  return tf.stack(logits);
}

function batch(seed) {
  return tf.tidy(() => {
    const x = tf.cast(tf.greater(tf.randomUniform([T, B, X], 0, 1, 'float32', seed), 0.5), 'float32');
    const y = tf.concat([tf.zeros([DELAY, B, X]), tf.slice(x, [0, 0, 0], [T - DELAY, B, X])]);
    return { x, y };
  });
}

const optimizer = tf.train.adam(1e-2);
const losses = [];
for (let step = 0; step < 60; step++) {
  const { x, y } = batch(step);
  const loss = optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, forward(x)), true, [wIn, wOut, ...access.variables]);
  losses.push(loss.dataSync()[0]);
  tf.dispose([x, y, loss]);
}
const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
console.log(JSON.stringify({ example: 'own-loop', firstLoss: first, lastLoss: last, variables: access.variables.length + 2 }));
if (!(last < first)) {
  console.error('own-loop: the loss did not fall');
  process.exit(1);
}
