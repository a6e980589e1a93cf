export { repeatCopy, repeatCopyExample, type RepeatCopyOptions } from './repeatCopy.ts';
