export { copy, copyExample, type CopyOptions } from './copy.ts';
