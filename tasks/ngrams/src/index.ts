export { ngrams, ngramBits, ngramExample, optimalPredictions, optimalCrossEntropy, modelCrossEntropy, betaHalf, type NgramsOptions, type NgramsTask } from './ngrams.ts';
