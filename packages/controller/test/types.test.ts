import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { makeController, resolveControllerConfig, type Controller, type LstmState } from '../src/index.ts';

// Compile-time checks (tsc runs over test/) with a trivial runtime part.
describe('types', () => {
  it('makeController narrows the state type by kind and accepts union-kind and resolved configs', () => {
    const lstm: Controller<LstmState> = makeController({ kind: 'lstm', units: 2 }, 3);
    const kind = 'gru' as 'lstm' | 'gru';
    const any: Controller = makeController({ kind, units: 2, layers: 2 }, 3);
    const resolved = resolveControllerConfig({ kind, units: [2, 2] }, 3);
    const again: Controller = makeController(resolved, 3);
    const generic: Controller = lstm; // a typed controller is a Controller
    tf.tidy(() => {
      const s = lstm.initialState(1);
      expect(s.c).toHaveLength(1); // LstmState.c is not optional
    });
    expect(again.config).toEqual(any.config);
    for (const c of [generic, any, again]) c.dispose();
  });
});
