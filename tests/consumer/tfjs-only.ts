// The baseline: a consumer of @tensorflow/tfjs alone, to tell tfjs's own declaration errors apart from engram's.
import * as tf from '@tensorflow/tfjs';
console.log(tf.version.tfjs);
