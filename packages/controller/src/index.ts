export {
  makeController,
  type Controller,
  type ControllerOptions,
  type ControllerState,
  type LstmState,
  type GruState,
  type FeedForwardState,
} from './controller.ts';
export { resolveControllerConfig, CONTROLLER_KINDS, type ControllerConfig, type ControllerKind, type ResolvedControllerConfig } from './config.ts';
export { ACTIVATIONS, activate, type Activation } from './activation.ts';
export { lstmCell, lstmUsesFusedGates } from './lstm.ts';
export { fusedLstmGates, lstmSimd, LSTM_GATES, LSTM_GATES_GRAD } from './fused/lstmGatesKernel.ts';
export { lstmGatesForward, lstmGatesBackward, LSTM_AUX_ROWS } from './fused/lstmGatesMath.ts';
export { gruCell } from './gru.ts';
export { denseCell } from './feedforward.ts';
export type { Cell, CellContext, StateKey } from './cell.ts';
