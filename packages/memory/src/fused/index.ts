export { ensureFusedKernels, fusedUnsupportedReason } from './register.ts';
export { fusedAddress, NTM_ADDRESS, NTM_ADDRESS_GRAD, type FusedNormalizer } from './addressKernel.ts';
export { fusedWrite, NTM_WRITE, NTM_WRITE_GRAD } from './writeKernel.ts';
export { fusedRead, NTM_READ, NTM_READ_GRAD } from './readKernel.ts';
export { readForward, readBackward, type ReadDims } from './readMath.ts';
export { fusedControls, NTM_CONTROLS, NTM_CONTROLS_GRAD, type FusedControls } from './controlsKernel.ts';
export { addressForward, addressBackward, AUX_ROWS, type AddressDims, type AddressInputs, type AddressGrads } from './addressMath.ts';
export { writeForward, writeBackward, type WriteDims, type WriteInputs, type WriteGrads } from './writeMath.ts';
export { controlsForward, controlsBackward, controlShapes, interfaceLength, segmentLength, type ControlsDims } from './controlsMath.ts';
