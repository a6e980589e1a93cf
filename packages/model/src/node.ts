/**
 * The Node-only part of @engram/model: checkpoints and results on the file system. The package's
 * main entry point imports nothing from Node, so it bundles for a browser.
 */
export { fileCheckpoints, saveCheckpoint, loadCheckpoint, listCheckpoints, processAlive } from './node/checkpointFiles.ts';
export { fileHandler, writeFileAtomic } from './node/fileHandler.ts';
export { threadShards, THREAD_BACKENDS } from './node/threadShards.ts';
