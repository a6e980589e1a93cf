// The entry points: one per fused kernel of src/ntm/fused (forward and backward). Each takes
// the sizes, then a pointer per kernel input in the kernel's input order, then a pointer per
// output in its output order, then the scratch region (`scratchBytes` long), so the host can
// call every one of them the same way.
import { addressBackward, addressForward, carve, contentBackward, contentForward, groupWeightsGrad, TERM_NONE, TERM_READ, TERM_WRITE } from './address';
import { at, ld, st } from '../../tensor/assembly/simd';
import { readBackward, readForward, readWeightsGrad, writeBackward, writeForward } from './readWrite';

export { configure, scratchBytes } from './address';
export { ntmControls, ntmControlsGrad } from './controls';
export { dncTemporal, dncTemporalGrad } from './temporal';

/** The first free byte after the module's static data: where the host lays out its buffers. */
export function heapBase(): usize {
  return __heap_base;
}

/** dst += src over `n` float32s. */
function addInto(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(dst, i), f32x4.add(v128.load(at(dst, i)), v128.load(at(src, i))));
  for (; i < n; i++) st(dst, i, ld(dst, i) + ld(src, i));
}

// EngramNtmAddress: [memory key beta gate shift gamma prev] -> [weights aux]
export function ntmAddress(
  B: i32, H: i32, N: i32, M: i32, S: i32, sparse: i32,
  memory: usize, key: usize, beta: usize, gate: usize, shift: usize, gamma: usize, prev: usize,
  weights: usize, aux: usize, scratch: usize,
): void {
  carve(scratch, B, H, N, M);
  addressForward(B, H, N, M, S, sparse, memory, key, beta, gate, shift, gamma, prev, weights, aux);
}

// EngramNtmAddressGrad: [dy weights aux memory key beta gate shift gamma prev] -> their gradients
export function ntmAddressGrad(
  B: i32, H: i32, N: i32, M: i32, S: i32, sparse: i32,
  dy: usize, weights: usize, aux: usize,
  memory: usize, key: usize, beta: usize, gate: usize, shift: usize, gamma: usize, prev: usize,
  gMemory: usize, gKey: usize, gBeta: usize, gGate: usize, gShift: usize, gGamma: usize, gPrev: usize,
  scratch: usize,
): void {
  carve(scratch, B, H, N, M);
  addressBackward(B, H, N, M, S, sparse, dy, weights, aux, memory, key, beta, gate, shift, gamma, prev,
    gMemory, gKey, gBeta, gGate, gShift, gGamma, gPrev, TERM_NONE, 0, 0, 0);
}

// EngramNtmAddressRead: [memory key beta gate shift gamma prev] -> [weights reads aux]
export function ntmAddressRead(
  B: i32, H: i32, N: i32, M: i32, S: i32, sparse: i32,
  memory: usize, key: usize, beta: usize, gate: usize, shift: usize, gamma: usize, prev: usize,
  weights: usize, reads: usize, aux: usize, scratch: usize,
): void {
  carve(scratch, B, H, N, M);
  addressForward(B, H, N, M, S, sparse, memory, key, beta, gate, shift, gamma, prev, weights, aux);
  readForward(B, H, N, M, memory, weights, reads);
}

// EngramNtmAddressReadGrad: [dWeights dReads weights aux memory ... prev] -> the inputs' gradients
export function ntmAddressReadGrad(
  B: i32, H: i32, N: i32, M: i32, S: i32, sparse: i32,
  dWeights: usize, dReads: usize, weights: usize, aux: usize,
  memory: usize, key: usize, beta: usize, gate: usize, shift: usize, gamma: usize, prev: usize,
  gMemory: usize, gKey: usize, gBeta: usize, gGate: usize, gShift: usize, gGamma: usize, gPrev: usize,
  scratch: usize,
): void {
  carve(scratch, B, H, N, M);
  // the read's share of the weights gradient joins the incoming one; its share of the memory
  // gradient is added in the addressing backward's sweep over memory
  const dw = groupWeightsGrad();
  readWeightsGrad(B, H, N, M, dReads, memory, dw);
  addInto(dw, dWeights, B * H * N);
  addressBackward(B, H, N, M, S, sparse, dw, weights, aux, memory, key, beta, gate, shift, gamma, prev,
    gMemory, gKey, gBeta, gGate, gShift, gGamma, gPrev, TERM_READ, weights, dReads, 0);
}

// EngramNtmAddressWrite: [memory key beta gate shift gamma prev erase add] -> [weights newMemory aux]
export function ntmAddressWrite(
  B: i32, H: i32, N: i32, M: i32, S: i32, sparse: i32,
  memory: usize, key: usize, beta: usize, gate: usize, shift: usize, gamma: usize, prev: usize, erase: usize, add: usize,
  weights: usize, newMemory: usize, aux: usize, scratch: usize,
): void {
  carve(scratch, B, H, N, M);
  addressForward(B, H, N, M, S, sparse, memory, key, beta, gate, shift, gamma, prev, weights, aux);
  writeForward(B, H, N, M, memory, weights, erase, add, newMemory);
}

// EngramNtmAddressWriteGrad: [dWeights dMemory weights aux memory ... add] -> the inputs' gradients
export function ntmAddressWriteGrad(
  B: i32, H: i32, N: i32, M: i32, S: i32, sparse: i32,
  dWeights: usize, dNewMemory: usize, weights: usize, aux: usize,
  memory: usize, key: usize, beta: usize, gate: usize, shift: usize, gamma: usize, prev: usize, erase: usize, add: usize,
  gMemory: usize, gKey: usize, gBeta: usize, gGate: usize, gShift: usize, gGamma: usize, gPrev: usize, gErase: usize, gAdd: usize,
  scratch: usize,
): void {
  const work = carve(scratch, B, H, N, M);
  // the write backward first, for the erase and add gradients and the weights' share (which
  // joins the incoming weights gradient); its share of the memory gradient is added in the
  // addressing backward's sweep over memory
  const dw = groupWeightsGrad();
  writeBackward(B, H, N, M, 0, dNewMemory, memory, weights, erase, add, 0, dw, gErase, gAdd, work);
  addInto(dw, dWeights, B * H * N);
  addressBackward(B, H, N, M, S, sparse, dw, weights, aux, memory, key, beta, gate, shift, gamma, prev,
    gMemory, gKey, gBeta, gGate, gShift, gGamma, gPrev, TERM_WRITE, weights, erase, dNewMemory);
}

// EngramNtmRead: [memory weights] -> [reads]
export function ntmRead(B: i32, H: i32, N: i32, M: i32, memory: usize, weights: usize, reads: usize, scratch: usize): void {
  readForward(B, H, N, M, memory, weights, reads);
}

// EngramNtmReadGrad: [dy memory weights] -> [dMemory dWeights]
export function ntmReadGrad(B: i32, H: i32, N: i32, M: i32, dy: usize, memory: usize, weights: usize, dMemory: usize, dWeights: usize, scratch: usize): void {
  readBackward(B, H, N, M, dy, memory, weights, dMemory, dWeights);
}

// EngramNtmWrite: [memory weights erase add] -> [newMemory]
export function ntmWrite(B: i32, H: i32, N: i32, M: i32, memory: usize, weights: usize, erase: usize, add: usize, out: usize, scratch: usize): void {
  writeForward(B, H, N, M, memory, weights, erase, add, out);
}

// EngramNtmWriteGrad: [dy memory weights erase add] -> [dMemory dWeights dErase dAdd]
export function ntmWriteGrad(
  B: i32, H: i32, N: i32, M: i32,
  dy: usize, memory: usize, weights: usize, erase: usize, add: usize,
  gMemory: usize, gWeights: usize, gErase: usize, gAdd: usize, scratch: usize,
): void {
  const work = carve(scratch, B, H, N, M);
  writeBackward(B, H, N, M, 1, dy, memory, weights, erase, add, gMemory, gWeights, gErase, gAdd, work);
}

// EngramContentWeights: [memory key beta] -> [weights aux]
export function contentWeights(B: i32, H: i32, N: i32, M: i32, memory: usize, key: usize, beta: usize, weights: usize, aux: usize, scratch: usize): void {
  carve(scratch, B, H, N, M);
  contentForward(B, H, N, M, memory, key, beta, weights, aux);
}

// EngramContentWeightsGrad: [dy weights aux memory key beta] -> [dMemory dKey dBeta]
export function contentWeightsGrad(
  B: i32, H: i32, N: i32, M: i32,
  dy: usize, weights: usize, aux: usize, memory: usize, key: usize, beta: usize,
  gMemory: usize, gKey: usize, gBeta: usize,
  scratch: usize,
): void {
  carve(scratch, B, H, N, M);
  contentBackward(B, H, N, M, dy, weights, aux, memory, key, beta, gMemory, gKey, gBeta);
}
