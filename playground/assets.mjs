// Copies what the page serves as static files into public/ (git-ignored): the wasm backend's
// .wasm binaries (tfjs fetches them next to the page: setWasmPaths('./wasm/')) and the shipped
// trained copy model, results/copy-reference/model/ (tfjs artifacts written by `engram export`).
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pub = join(here, 'public');
rmSync(pub, { recursive: true, force: true });
mkdirSync(join(pub, 'wasm'), { recursive: true });
const wasmDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
for (const f of readdirSync(wasmDist).filter((n) => n.endsWith('.wasm'))) cpSync(join(wasmDist, f), join(pub, 'wasm', f));
const model = join(here, '..', 'results', 'copy-reference', 'model');
if (!existsSync(join(model, 'model.json'))) {
  console.error(`playground: ${model}/model.json is missing; the "trained copy model" view will say so (engram export makes it)`);
} else {
  cpSync(model, join(pub, 'models', 'copy'), { recursive: true });
}
