import * as tf from '@tensorflow/tfjs';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { EngramError } from '@engram/tensor';

/**
 * Writes `data` to `path` atomically: a temporary file written in full (writeSync may write
 * less than asked: it loops until every byte is out), fsync, then rename over the target. On
 * any failure the temporary file is removed and the error carries `path` (a full disk then
 * names the file it could not write).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = openSync(tmp, 'w');
    try {
      for (let done = 0; done < bytes.byteLength; ) {
        const n = writeSync(fd, bytes, done, bytes.byteLength - done);
        if (n <= 0) throw Object.assign(new Error(`short write to ${tmp}`), { code: 'EIO' });
        done += n;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err === 'object' && !err.path) err.path = path;
    throw e;
  }
}

/** fsyncs a directory so a rename inside it survives a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function concatBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out;
}

/**
 * A tf.io handler for a directory holding the standard tfjs artifacts: `model.json` (topology,
 * weights manifest, metadata) and `weights.bin`. tfjs only ships a `file://` handler with
 * tfjs-node; this one works with every backend, so the files load in the browser
 * (tf.loadLayersModel / tf.io.loadWeights), in tfjs-node and in engram alike. Files are written
 * atomically, and the SHA-256 of weights.bin is recorded so a truncated or corrupted file is
 * reported instead of loaded.
 */
export function fileHandler(dir: string): Required<Pick<tf.io.IOHandler, 'save' | 'load'>> {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const weights = artifacts.weightData ? concatBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]) : new Uint8Array(0);
      writeFileAtomic(join(dir, 'weights.bin'), weights);
      const json = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: { ...(artifacts.userDefinedMetadata ?? {}), weightsSha256: sha256(weights) },
      };
      writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json, null, 1));
      fsyncDir(dir);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const manifestPath = join(dir, 'model.json');
      if (!existsSync(manifestPath)) throw new EngramError('checkpoint', `no model.json in ${dir}`, 'pass a checkpoint directory written by engram or tf.io');
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new EngramError('checkpoint', `${manifestPath} is not valid JSON (${(e as Error).message})`, 'the file is corrupted: load an earlier checkpoint');
      }
      const manifest = json['weightsManifest'] as tf.io.WeightsManifestConfig | undefined;
      const group = manifest?.[0];
      if (!group) throw new EngramError('checkpoint', `${manifestPath} has no weightsManifest`, 'the file is corrupted: load an earlier checkpoint');
      // the manifest names a file in this directory, never a path out of it
      const file = group.paths[0] ?? 'weights.bin';
      if (group.paths.length !== 1 || !/^[\w.-]+$/.test(file) || file.startsWith('..')) {
        throw new EngramError(
          'checkpoint',
          `${manifestPath} names weights ${JSON.stringify(group.paths)}, not one file beside it`,
          'the file is corrupted or foreign: load an earlier checkpoint',
        );
      }
      const bin = readFileSync(join(dir, file));
      const weights = new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength);
      const meta = (json['userDefinedMetadata'] ?? {}) as Record<string, unknown>;
      const expected = meta['weightsSha256'];
      if (typeof expected === 'string' && expected !== sha256(weights)) {
        throw new EngramError(
          'checkpoint',
          `${join(dir, 'weights.bin')} does not match its recorded checksum (truncated or corrupted)`,
          'load an earlier checkpoint',
        );
      }
      const specBytes = group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
      if (specBytes !== weights.byteLength) {
        throw new EngramError(
          'checkpoint',
          `${join(dir, 'weights.bin')} holds ${weights.byteLength} bytes but the manifest needs ${specBytes}`,
          'load an earlier checkpoint',
        );
      }
      return {
        modelTopology: json['modelTopology'] as tf.io.ModelArtifacts['modelTopology'],
        format: json['format'] as string,
        generatedBy: json['generatedBy'] as string,
        weightSpecs: group.weights,
        weightData: weights.slice().buffer,
        userDefinedMetadata: meta as Record<string, object>,
      };
    },
  };
}
