// Reading the `--json` output of `nabla-mnist train`: one JSON object per line,
// {"epoch","correct","total","accuracy","seconds","cost"}, and with --validation a seventh key,
// "test": {"correct","total","accuracy"}. No DOM here.

/** One epoch's evaluation, as `nabla-mnist train --json` prints it. */
export interface EpochPoint {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Test accuracy in [0, 1]; with `--validation`, the validation accuracy. */
  readonly accuracy: number;
  /** Mean training cost over the epoch. */
  readonly cost: number;
  /** Correctly classified images, when the line has it. */
  readonly correct?: number;
  /** Images evaluated, when the line has it. */
  readonly total?: number;
  /** With `--validation`: the test accuracy in [0, 1] (the line's `test.accuracy`). */
  readonly test?: number;
}

/** A metrics file that cannot be charted; the message names the file and the line. */
export class MetricsError extends Error {
  override readonly name = 'MetricsError';
}

const FIELDS = ['epoch', 'accuracy', 'cost'] as const;

/**
 * The epochs of a metrics file (JSON lines; blank lines are skipped), in file order.
 *
 * @example
 * ```ts
 * parseMetrics('{"epoch":1,"correct":9099,"total":10000,"accuracy":0.9099,"seconds":10.7,"cost":0.128}\n', 'm.jsonl');
 * // [{ epoch: 1, accuracy: 0.9099, cost: 0.128, correct: 9099, total: 10000 }]
 * ```
 * @param text - the file's contents
 * @param file - its name, for messages
 * @throws MetricsError like `m.jsonl: line 3: "cost" is not a finite number (got null)`
 */
export function parseMetrics(text: string, file: string): EpochPoint[] {
  const points: EpochPoint[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${file}: line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new MetricsError(`${where}: not a JSON object (${line.length > 40 ? `${line.slice(0, 40)}…` : line})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MetricsError(`${where}: expected a JSON object`);
    const obj = value as Record<string, unknown>;
    for (const key of FIELDS) {
      const v = obj[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new MetricsError(`${where}: "${key}" is not a finite number (got ${JSON.stringify(v) ?? 'nothing'})`);
      }
    }
    const point: { -readonly [K in keyof EpochPoint]: EpochPoint[K] } = {
      epoch: obj['epoch'] as number,
      accuracy: obj['accuracy'] as number,
      cost: obj['cost'] as number,
    };
    if (typeof obj['correct'] === 'number') point.correct = obj['correct'];
    if (typeof obj['total'] === 'number') point.total = obj['total'];
    const test = obj['test'];
    if (test !== undefined) {
      const accuracy = typeof test === 'object' && test !== null ? (test as Record<string, unknown>)['accuracy'] : undefined;
      if (typeof accuracy !== 'number' || !Number.isFinite(accuracy)) throw new MetricsError(`${where}: "test" is not {"correct","total","accuracy"} (got ${JSON.stringify(test)})`);
      point.test = accuracy;
    }
    points.push(point);
  });
  if (points.length === 0) throw new MetricsError(`${file}: no epochs (expected the JSON lines of nabla-mnist train --json)`);
  return points;
}
