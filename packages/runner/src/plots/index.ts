export { learningCurveSvg, bandsSpec, bandsSvg, type CurvePoint, type CurveBand } from './learningCurve.ts';
export { weightingsSvg, dncStateSvg, type WeightingsPlot, type DncStatePlot } from './weightings.ts';
export { renderSvg } from './render.ts';
export {
  generalisationSvg,
  generalisationBandsSvg,
  lengthSpread,
  trainedUpToText,
  type LengthCost,
  type LengthBand,
  type LengthSpread,
  type TrainedUpTo,
} from './generalisation.ts';
