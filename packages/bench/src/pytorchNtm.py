#!/usr/bin/env python3
"""pytorch-ntm's own copy-task training loop, timed: the peer of `pnpm bench throughput --peer`.

Imports pytorch-ntm (github:loudinthecloud/pytorch-ntm, checked out outside this repository,
never committed) from --repo, with its default copy settings (LSTM 100, 128 x 20 memory, one
head pair, lengths 1-20 drawn per batch, RMSprop) except --batch, and runs its unmodified
`train_batch` (forward, BCE loss, backward, gradient clamp, optimizer step) for --warmup
batches, then times --steps batches. One JSON line: sequences per second.

pytorch-ntm was written for attrs < 19.2, whose `attr.ib(convert=...)` is `converter=` since;
the one-line shim below renames the argument before pytorch-ntm is imported.
"""
import argparse
import json
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument('--repo', required=True)
parser.add_argument('--batch', type=int, default=1)
parser.add_argument('--warmup', type=int, default=2)
parser.add_argument('--steps', type=int, default=5)
parser.add_argument('--threads', type=int, default=1)
parser.add_argument('--seed', type=int, default=1000)
args = parser.parse_args()

import attr  # noqa: E402

_attrib = attr.attrib
attr.attrib = attr.ib = lambda *a, convert=None, **k: _attrib(*a, **({**k, 'converter': convert} if convert else k))

sys.path.insert(0, args.repo)
import torch  # noqa: E402
import train as ntm_train  # noqa: E402  (pytorch-ntm's train.py)
from tasks.copytask import CopyTaskModelTraining, CopyTaskParams  # noqa: E402

torch.set_num_threads(args.threads)
ntm_train.init_seed(args.seed)
model = CopyTaskModelTraining(params=CopyTaskParams(batch_size=args.batch, num_batches=args.warmup + args.steps))
batches = iter(model.dataloader)

def one():
    _, x, y = next(batches)
    ntm_train.train_batch(model.net, model.criterion, model.optimizer, x, y)

for _ in range(args.warmup):
    one()
t0 = time.perf_counter()
for _ in range(args.steps):
    one()
seconds = time.perf_counter() - t0
print(json.dumps({'peer': 'pytorch-ntm', 'torch': torch.__version__, 'threads': args.threads, 'batch': args.batch,
                  'steps': args.steps, 'sequencesPerS': args.batch * args.steps / seconds}))
