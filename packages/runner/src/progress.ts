import cliProgress from 'cli-progress';

/** Training progress on stderr: a live bar on a terminal, one line per evaluation otherwise. */
export interface Progress {
  update(step: number, fields: { sequences: number; loss: number; cost: number; rate: number }): void;
  line(text: string): void;
  stop(): void;
}

export function makeProgress(total: number, start: number): Progress {
  if (!process.stderr.isTTY) {
    return {
      update: () => {},
      line: (text) => process.stderr.write(`${text}\n`),
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'step {value}/{total} | {sequences} seq | loss {loss} | cost {cost} bits/seq | {rate} seq/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, start, { sequences: 0, loss: '-', cost: '-', rate: '-' });
  return {
    update: (step, f) => bar.update(step, { sequences: f.sequences, loss: f.loss.toFixed(4), cost: f.cost.toFixed(2), rate: f.rate.toFixed(1) }),
    // Clear the bar's line, print the text, redraw the bar below it.
    line: (text) => {
      process.stderr.write(`\r\x1b[2K${text}\n`);
      bar.render();
    },
    stop: () => bar.stop(),
  };
}
