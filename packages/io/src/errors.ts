/**
 * Error values of @fluxion/io. Decoding never throws on bad input: every decoder returns an fp-ts
 * `Either` whose left side is an {@link IoError} listing every {@link Problem} found.
 */

/**
 * What kind of problem a {@link Problem} is:
 * - `format`: the bytes are not a valid npy/npz/zip file (truncated, corrupt, inconsistent sizes);
 * - `unsupported`: a valid file that Fluxion will not read (object arrays, structured or complex
 *   dtypes, encrypted zip entries, other compression methods);
 * - `missing`: a key the template needs is not in the file;
 * - `unexpected`: a key in the file that the template does not have (with `strict`);
 * - `shape` / `dtype`: the array's shape or dtype differs from the template's;
 * - `value`: the array's values do not fit (an int64 beyond int32, a random key word out of range,
 *   metadata that is not valid JSON or fails its codec);
 * - `file`: the file could not be read (Node adapter only).
 */
export type ProblemKind = 'format' | 'unsupported' | 'missing' | 'unexpected' | 'shape' | 'dtype' | 'value' | 'file';

/** One thing wrong with a file. */
export interface Problem {
  readonly kind: ProblemKind;
  /** The key in the archive (`'l1/W'`, prefix included) or entry the problem is about; absent when it is about the whole file. */
  readonly path?: string;
  /** What the template wanted, e.g. `'float32 [16, 1]'`, `'[16, 1]'`, `'float32'`. */
  readonly expected?: string;
  /** What the file holds, e.g. `'<f8 [16, 1]'`. */
  readonly found?: string;
  /** A sentence saying all of the above, starting with the path when there is one. */
  readonly message: string;
}

/**
 * The left side of every decoding `Either`: all problems found, at once. It is an `Error` so that
 * callers may throw it, but @fluxion/io itself never throws it.
 */
export class IoError extends Error {
  /** Every problem found, in key order; never empty. */
  readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    const ps = problems.length > 0 ? problems : [{ kind: 'format' as const, message: 'unknown problem' }];
    super(
      ps.length === 1 ? ps[0]!.message : `${ps.length} problems:\n${ps.map((p) => `  - ${p.message}`).join('\n')}`,
    );
    this.name = 'IoError';
    this.problems = Object.freeze(ps.slice());
  }
}

/** Builds a problem whose message is prefixed with its path. @internal */
export function problem(kind: ProblemKind, message: string, extra: { path?: string; expected?: string; found?: string } = {}): Problem {
  const p: { -readonly [K in keyof Problem]: Problem[K] } = { kind, message: extra.path !== undefined ? `${extra.path}: ${message}` : message };
  if (extra.path !== undefined) p.path = extra.path;
  if (extra.expected !== undefined) p.expected = extra.expected;
  if (extra.found !== undefined) p.found = extra.found;
  return Object.freeze(p);
}

/** `[16, 1]`: a shape as messages show it. @internal */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
