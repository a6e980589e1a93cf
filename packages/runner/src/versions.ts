import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_DIR } from './experiment.ts';

/** engram, tfjs and Node versions, recorded in every run's config.json. */
export function versions(): { engram: string; tfjs: string; node: string } {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string };
  return { engram: pkg.version, tfjs: tf.version.tfjs, node: process.version };
}
