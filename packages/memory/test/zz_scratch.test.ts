import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
it('x', () => { console.log('BACKEND', tf.getBackend()); });
