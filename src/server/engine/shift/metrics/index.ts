// Distribution-shift metrics: one re-export point for the pure functions in this folder.
export { accuracy, accuracyFromPredictions } from './accuracy';
export { balancedAccuracy, balancedAccuracyFromPredictions } from './balanced-accuracy';
export { macroF1, macroF1FromPredictions } from './macro-f1';
export { aurocBinary, aurocOvrMacro } from './auroc';
export { sensitivitySpecificity, type SensitivitySpecificity } from './sensitivity-specificity';
export { brierScore, brierScoreBinary } from './brier';
export { negativeLogLikelihood, NLL_EPSILON } from './nll';
export { expectedCalibrationError } from './ece';
export { normalisedRows, argmaxRows } from './validate';
