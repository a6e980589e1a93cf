import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EngramError } from '@engram/tensor';
import { CHECKPOINTS_KEPT, checkpointArtifacts, checkpointFromArtifacts, type Checkpoint, type CheckpointChoice, type CheckpointStore } from '../checkpoint.ts';
import { fileHandler, fsyncDir, writeFileAtomic } from './fileHandler.ts';

function stepDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Lists complete checkpoints under `root`, oldest first. */
export function listCheckpoints(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => /^step-\d{8}$/.test(n))
    .sort();
}

/** Writes a checkpoint atomically under `root`; returns its directory. */
export async function saveCheckpoint(root: string, step: number, ckpt: Checkpoint): Promise<string> {
  mkdirSync(root, { recursive: true });
  removeStaleTemporaries(root);
  const name = stepDirName(step);
  const tmp = join(root, `.tmp-${name}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    return await writeInto(root, tmp, name, ckpt);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true }); // a failed write (a full disk) leaves nothing behind
    throw e;
  }
}

/** True while process `pid` exists (EPERM: it exists but is another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `.tmp-*-<pid>` leftovers of processes that are gone (a crash mid-write), so they never block a later write. */
function removeStaleTemporaries(root: string): void {
  for (const n of readdirSync(root)) {
    const m = /^\.tmp-.*-(\d+)$/.exec(n) ?? /\.tmp-(\d+)$/.exec(n);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) rmSync(join(root, n), { recursive: true, force: true });
  }
}

async function writeInto(root: string, tmp: string, name: string, ckpt: Checkpoint): Promise<string> {
  await fileHandler(tmp).save(await checkpointArtifacts(ckpt));
  const final = join(root, name);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  fsyncDir(root);
  writeFileAtomic(join(root, 'latest'), `${name}\n`);
  fsyncDir(root);
  const all = listCheckpoints(root);
  for (const old of all.slice(0, Math.max(0, all.length - CHECKPOINTS_KEPT))) rmSync(join(root, old), { recursive: true, force: true });
  return final;
}

/**
 * Loads a checkpoint. `which`: 'latest' (default), 'previous' (the one before the newest), or
 * a step number. A missing, truncated or corrupted checkpoint is an EngramError that says so.
 */
export async function loadCheckpoint(root: string, which: CheckpointChoice = 'latest'): Promise<Checkpoint & { dir: string }> {
  const all = listCheckpoints(root);
  let name: string | undefined;
  if (which === 'latest') {
    const pointer = join(root, 'latest');
    name = existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : all[all.length - 1];
  } else if (which === 'previous') {
    name = all[all.length - 2];
  } else {
    name = stepDirName(which);
  }
  if (name !== undefined && !/^step-\d{8}$/.test(name)) {
    throw new EngramError(
      'checkpoint',
      `${join(root, 'latest')} names '${name.slice(0, 60)}', not a checkpoint directory of this run (step-NNNNNNNN)`,
      'the pointer is damaged: delete it to resume from the newest step directory',
    );
  }
  if (!name || !existsSync(join(root, name))) {
    throw new EngramError(
      'checkpoint',
      `no ${typeof which === 'number' ? `step ${which} ` : `${which} `}checkpoint under ${root} (have: ${all.join(', ') || 'none'})`,
      'check the run directory, or train first',
    );
  }
  const dir = join(root, name);
  return { dir, ...checkpointFromArtifacts(await fileHandler(dir).load(), dir) };
}

/**
 * The Node file store for a Trainer's checkpoints: one directory per run, laid out as the
 * {@link Checkpoint} record describes, the newest {@link CHECKPOINTS_KEPT} kept.
 */
export function fileCheckpoints(root: string): CheckpointStore & { readonly root: string } {
  return {
    root,
    save: (step, ckpt) => saveCheckpoint(root, step, ckpt),
    load: (which) => loadCheckpoint(root, which),
  };
}
