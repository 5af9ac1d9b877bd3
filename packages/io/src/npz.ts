/**
 * `.npz` archives: a zip of `.npy` files named `<key>.npy`, as `numpy.savez` and
 * `numpy.savez_compressed` write them.
 */
import type { Tensor } from '@fluxion/core';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { IoError, problem, type Problem } from './errors.js';
import { formatNpy, guard, npyToTensorProblem, parseNpyProblems, type NpyArray } from './npy.js';
import { readZip, writeZip, type ZipEntry } from './zip.js';

/** Options for writing an npz archive. */
export interface NpzWriteOptions {
  /** Deflate the entries, like `numpy.savez_compressed` (default false: stored, like `numpy.savez`). */
  readonly compress?: boolean;
}

/** One entry of an opened archive, parsed on first use. @internal */
export interface LazyNpy {
  /** The key: the entry's name without `.npy`. */
  readonly key: string;
  /** False for entries whose name does not end in `.npy` (numpy would return their raw bytes). */
  readonly isNpy: boolean;
  /** Inflates and parses the entry (once; the result is cached). */
  parse(): Either<Problem[], NpyArray>;
}

/** Opens an archive: the container is checked now, entries are inflated and parsed lazily. @internal */
export function openNpz(bytes: Uint8Array): Either<IoError, ReadonlyMap<string, LazyNpy>> {
  const z = readZip(bytes);
  if (z._tag === 'Left') return z;
  const out = new Map<string, LazyNpy>();
  for (const e of z.right) {
    const isNpy = e.name.endsWith('.npy');
    const key = isNpy ? e.name.slice(0, -4) : e.name;
    if (out.has(key)) return left(new IoError([problem('format', `npz: two entries for key '${key}'`, { path: key })]));
    out.set(key, lazy(key, isNpy, e));
  }
  return right(out);
}

function lazy(key: string, isNpy: boolean, e: ZipEntry): LazyNpy {
  let cached: Either<Problem[], NpyArray> | undefined;
  return {
    key,
    isNpy,
    parse() {
      if (cached) return cached;
      if (!isNpy) {
        cached = left([problem('format', `npz entry '${e.name}' is not an .npy array`, { path: key })]);
        return cached;
      }
      const raw = e.read();
      if (raw._tag === 'Left') {
        const strip = `${e.name}: `;
        cached = left(
          raw.left.problems.map((p) =>
            problem(p.kind, `${p.message.startsWith(strip) ? p.message.slice(strip.length) : p.message} (entry '${e.name}')`, { path: key }),
          ),
        );
        return cached;
      }
      const p = parseNpyProblems(raw.right);
      cached = p._tag === 'Left' ? left(p.left.map((q) => problem(q.kind, q.message, { ...pick(q), path: key }))) : p;
      return cached;
    },
  };
}

/**
 * Reads every array of an `.npz` archive without converting it: keys (entry names without
 * `.npy`, slashes kept: `'l1/W'`) in archive order, each with its dtype, shape, order and raw
 * bytes. Reads what numpy writes: stored and deflate entries, zip64 extras, data descriptors.
 *
 * @returns the arrays, or an IoError listing the problems of every bad entry (corrupt zip, CRC
 *   mismatch, deflate bomb, bad npy header, object arrays, entries that are not `.npy`). Never throws.
 */
export function parseNpz(bytes: Uint8Array): Either<IoError, ReadonlyMap<string, NpyArray>> {
  return guard(() => {
    const z = openNpz(bytes);
    if (z._tag === 'Left') return z;
    const out = new Map<string, NpyArray>();
    const problems: Problem[] = [];
    for (const [k, e] of z.right) {
      const p = e.parse();
      if (p._tag === 'Left') problems.push(...p.left);
      else out.set(k, p.right);
    }
    return problems.length > 0 ? left(new IoError(problems)) : right(out);
  });
}

/**
 * Reads every array of an `.npz` archive as a Tensor (see `npyToTensor` for the dtype mapping),
 * keyed like `numpy.load(...)` (`'l1/W'`). To load into a parameter tree with checks, use `loadNpz`.
 *
 * @returns the tensors in archive order, or an IoError listing every problem (of every entry).
 *   Never throws.
 */
export function decodeNpz(bytes: Uint8Array): Either<IoError, ReadonlyMap<string, Tensor>> {
  return guard(() => {
    const z = openNpz(bytes);
    if (z._tag === 'Left') return z;
    const out = new Map<string, Tensor>();
    const problems: Problem[] = [];
    for (const [k, e] of z.right) {
      const p = e.parse();
      if (p._tag === 'Left') {
        problems.push(...p.left);
        continue;
      }
      const x = npyToTensorProblem(p.right, k);
      if (x._tag === 'Left') problems.push(x.left);
      else out.set(k, x.right);
    }
    return problems.length > 0 ? left(new IoError(problems)) : right(out);
  });
}

/**
 * Writes arrays as an `.npz` archive, in the order given (no sorting: `saveNpz` sorts), each as
 * `<key>.npy`. With stored entries the bytes are exactly what `numpy.savez` (Python 3.11's
 * zipfile) writes for the same arrays passed in the same order.
 *
 * @throws ValueError for a duplicate key, a key with a NUL character, or an inconsistent array.
 */
export function formatNpz(arrays: Iterable<readonly [string, NpyArray]>, options: NpzWriteOptions = {}): Uint8Array {
  const entries: { name: string; data: Uint8Array }[] = [];
  for (const [k, a] of arrays) entries.push({ name: `${k}.npy`, data: formatNpy(a) });
  return writeZip(entries, { compress: options.compress ?? false });
}

function pick(p: Problem): { expected?: string; found?: string } {
  const out: { expected?: string; found?: string } = {};
  if (p.expected !== undefined) out.expected = p.expected;
  if (p.found !== undefined) out.found = p.found;
  return out;
}
