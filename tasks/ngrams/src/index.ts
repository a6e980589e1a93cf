export {
  ngrams,
  ngramBits,
  ngramExample,
  optimalPredictions,
  optimalCrossEntropy,
  modelCrossEntropy,
  betaHalf,
  type NgramsOptions,
  type NgramsTask,
  type NgramsDefinition,
} from './ngrams.ts';
