// A TypeScript consumer of the published packages, type-checked with `strict` and nothing else
// (tests/published.test.ts): it touches the main types of each library package.
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '@engram/tensor';
import { MemoryAccess, type AccessState } from '@engram/memory';
import { engramCell, Trainer, buildModel, type ModelConfig } from '@engram/model';
import { fileCheckpoints } from '@engram/model/node';
import { copy } from '@engram/task-copy';

const choice: BackendChoice = await initBackend('cpu', { quiet: true });
const access = new MemoryAccess({ slots: 8, width: 4, controllerSize: 6 });
const state: AccessState = access.initialState(2);
const [reads] = access.step(tf.zeros([2, 6]) as tf.Tensor2D, state);
const shape: number[] = reads.shape;
const config: ModelConfig = { kind: 'ntm', inputSize: 9, outputSize: 8, controller: { kind: 'lstm', units: 8 }, memory: { slots: 8, width: 4 } };
const trainer = new Trainer(buildModel(config), copy.make({ maxLength: 3 }), { steps: 1, batchSize: 2 }, { checkpoints: fileCheckpoints('checkpoints') });
const cell = engramCell({ controller: { kind: 'lstm', units: 4 }, memory: { slots: 4, width: 2 } });
console.log(choice.name, shape, typeof trainer.run, cell.stateSize);
