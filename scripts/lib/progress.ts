import cliProgress from 'cli-progress';

export interface ProgressState {
  /** Bytes of the input consumed so far. */
  bytes: number;
  rows: number;
  inserted: number;
  updated: number;
  rejected: number;
}

export interface Progress {
  update(state: ProgressState): void;
  /** Clears the bar (or prints nothing more); call before printing the summary. */
  stop(): void;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * A progress bar over the input's bytes when `stream` is a terminal; otherwise a plain line at
 * most every `intervalMs` (logs and CI keep a readable trace, with no control characters).
 */
export function createProgress(totalBytes: number, stream: NodeJS.WriteStream, intervalMs = 1000): Progress {
  const started = performance.now();
  const rate = (rows: number) => {
    const seconds = (performance.now() - started) / 1000;
    return seconds > 0 ? Math.round(rows / seconds) : 0;
  };

  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'importing |{bar}| {percentage}% | {rows} rows | {rate} rows/s | rejected {rejected} | ETA {eta_formatted}',
        barsize: 30,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(totalBytes, 1), 0, { rows: '0', rate: '0', rejected: '0' });
    return {
      update(s) {
        bar.update(Math.min(s.bytes, totalBytes), { rows: fmt(s.rows), rate: fmt(rate(s.rows)), rejected: fmt(s.rejected) });
      },
      stop() {
        bar.stop();
      },
    };
  }

  let last = performance.now();
  return {
    update(s) {
      const now = performance.now();
      if (now - last < intervalMs) return;
      last = now;
      const percent = totalBytes > 0 ? ((100 * Math.min(s.bytes, totalBytes)) / totalBytes).toFixed(1) : '?';
      stream.write(
        `import: ${percent}% ${fmt(s.rows)} rows (inserted ${fmt(s.inserted)}, updated ${fmt(s.updated)}, rejected ${fmt(s.rejected)}), ${fmt(rate(s.rows))} rows/s\n`,
      );
    },
    stop() {},
  };
}
