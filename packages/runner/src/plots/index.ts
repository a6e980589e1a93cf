export { learningCurveSvg, bandsSvg, type CurvePoint, type CurveBand } from './learningCurve.ts';
export { weightingsSvg, type WeightingsPlot } from './weightings.ts';
export { renderSvg } from './render.ts';
