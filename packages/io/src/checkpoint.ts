/**
 * Training checkpoints: params, optimizer state, step, random key and metadata in one `.npz`.
 */
import { ValueError, type Key } from '@fluxion/core';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { tree as trees } from '@fluxion/core';
import { IoError, problem, type Problem } from './errors.js';
import { guard, npyFromString, npyToString, type NpyArray } from './npy.js';
import { formatNpz } from './npz.js';
import { KEY_TEMPLATE, leafToNpy, loadTree, sortEntries } from './trees.js';

/** The value of the `fluxion_checkpoint` entry: the layout version. */
export const CHECKPOINT_VERSION = 1;

/**
 * A training checkpoint. `params` and `optState` are trees of Tensors, numbers, booleans and keys
 * (`null` for an optimizer without state); `metadata` is any JSON value.
 */
export interface Checkpoint<P, S, M = unknown> {
  readonly params: P;
  readonly optState: S;
  /** Steps taken so far: a non-negative safe integer. */
  readonly step: number;
  /** The random key to continue with. */
  readonly key: Key;
  /** Any JSON value (config, versions, a loss history...); absent when none was saved. */
  readonly metadata?: M;
}

/** Options for {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Deflate the entries (default false). */
  readonly compress?: boolean;
}

/** Options for {@link loadCheckpoint}. */
export interface LoadCheckpointOptions<M> {
  /** When true (default) a key the templates do not have is a problem; when false it is ignored. */
  readonly strict?: boolean;
  /**
   * An io-ts codec (any decoder from `unknown`) the metadata must satisfy; its failures are
   * problems at `metadata/<path>`. Default: any JSON value is accepted.
   */
  readonly metadata?: t.Decoder<unknown, M>;
}

/**
 * Encodes a checkpoint as one `.npz` (numpy and Chainer read it):
 *
 * | key | holds |
 * |---|---|
 * | `params/<path>` | the params tree (`params/l1/W`); Chainer: `load_npz(f, model, path='params/')` |
 * | `optimizer/<path>` | the optimizer state tree, e.g. `optimizer/l1/W/m`, `optimizer/t` in Chainer's layout; `load_npz(f, optimizer, path='optimizer/')` |
 * | `step` | 0-d `<i8` |
 * | `key` | the random key's two words, `<u4` of shape [2] (`jax.random.wrap_key_data` takes them) |
 * | `metadata` | `JSON.stringify(metadata)` as a 0-d unicode array (`<U`): `json.loads(z['metadata'].item())` |
 * | `fluxion_checkpoint` | 0-d `<i8`, the layout version (1) |
 *
 * Leaves are encoded as `saveNpz` does; the same checkpoint always gives the same bytes.
 *
 * @throws ValueError for a step that is not a non-negative safe integer, metadata that
 *   `JSON.stringify` cannot encode, and everything `saveNpz` throws for.
 */
export function saveCheckpoint<P, S, M>(ckpt: Checkpoint<P, S, M>, options: SaveCheckpointOptions = {}): Uint8Array {
  if (!Number.isSafeInteger(ckpt.step) || ckpt.step < 0) {
    throw new ValueError('saveCheckpoint', `step must be a non-negative safe integer, got ${String(ckpt.step)}`);
  }
  const body = { fluxion_checkpoint: CHECKPOINT_VERSION, key: ckpt.key, optimizer: ckpt.optState, params: ckpt.params, step: ckpt.step };
  const entries: [string, NpyArray][] = [];
  const seen = new Set<string>();
  for (const [p, leaf] of trees.withPaths(body) as [string, unknown][]) {
    if (seen.has(p)) throw new ValueError('saveCheckpoint', `two leaves have the path '${p}'`);
    seen.add(p);
    entries.push([p, leafToNpy(leaf, p, 'saveCheckpoint')]);
  }
  if (ckpt.metadata !== undefined) {
    let json: string | undefined;
    try {
      json = JSON.stringify(ckpt.metadata);
    } catch (e) {
      throw new ValueError('saveCheckpoint', `metadata is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (json === undefined) throw new ValueError('saveCheckpoint', 'metadata is not JSON (JSON.stringify gave undefined)');
    entries.push(['metadata', npyFromString(json)]);
  }
  return formatNpz(sortEntries(entries), { compress: options.compress ?? false });
}

/**
 * Decodes a checkpoint written by {@link saveCheckpoint} into trees shaped like the templates
 * (typically fresh `init` params and `optimizer.init(params)`), with the same checks as `loadNpz`
 * for every leaf, plus the step, the key, the layout version and the metadata (JSON, then the
 * optional codec). It loads back exactly the values that were saved, bit for bit.
 *
 * @example
 * const r = loadCheckpoint(bytes, { params: init(key0), optState: adam.init(init(key0)) });
 * if (isRight(r)) resume(r.right.params, r.right.optState, r.right.step, r.right.key);
 * @returns the checkpoint, or an IoError listing every problem at once (in params, optimizer
 *   state, step, key and metadata together). A failed load yields nothing. Never throws on bad bytes.
 * @throws ValueError for a bad template (see `loadNpz`).
 */
export function loadCheckpoint<P, S, M = unknown>(
  bytes: Uint8Array,
  template: { readonly params: P; readonly optState: S },
  options: LoadCheckpointOptions<M> = {},
): Either<IoError, Checkpoint<P, S, M>> {
  const body = { fluxion_checkpoint: 0, key: KEY_TEMPLATE, optimizer: template.optState, params: template.params, step: 0 };
  const loaded = loadTree(bytes, body, { prefix: '', strict: options.strict ?? true, allow: new Set(['metadata']) }, 'loadCheckpoint');
  return guard(() => {
    if (loaded._tag === 'Left') return loaded;
    // Problems of the trees, step and key, then of the metadata: all reported together.
    const problems: Problem[] = loaded.right.problems.slice();
    const { entries } = loaded.right;
    const tree = loaded.right.loaded?.tree;
    if (tree && tree.fluxion_checkpoint !== CHECKPOINT_VERSION) {
      problems.push(
        problem('unsupported', `checkpoint layout version ${tree.fluxion_checkpoint}; this Fluxion reads version ${CHECKPOINT_VERSION}`, {
          path: 'fluxion_checkpoint',
          expected: String(CHECKPOINT_VERSION),
          found: String(tree.fluxion_checkpoint),
        }),
      );
    }
    if (tree && (!Number.isSafeInteger(tree.step) || tree.step < 0)) {
      problems.push(problem('value', `step must be a non-negative integer, found ${tree.step}`, { path: 'step', found: String(tree.step) }));
    }
    let metadata: M | undefined;
    const m = entries.get('metadata');
    if (m !== undefined) {
      const parsed = m.parse();
      const s = parsed._tag === 'Left' ? left(parsed.left) : mapLeft(npyToString(parsed.right, 'metadata'));
      if (s._tag === 'Left') problems.push(...s.left);
      else {
        let json: unknown;
        let ok = true;
        try {
          json = JSON.parse(s.right);
        } catch (e) {
          ok = false;
          problems.push(problem('value', `metadata is not valid JSON (${e instanceof Error ? e.message : String(e)})`, { path: 'metadata' }));
        }
        if (ok) {
          const codec = options.metadata ?? (t.unknown as unknown as t.Decoder<unknown, M>);
          const d = codec.decode(json);
          if (d._tag === 'Left') {
            for (const e of d.left) {
              const sub = e.context
                .map((c) => c.key)
                .filter((k) => k !== '')
                .join('/');
              const path = sub === '' ? 'metadata' : `metadata/${sub}`;
              const expected = e.context[e.context.length - 1]?.type.name ?? 'valid metadata';
              const found = JSON.stringify(e.value) ?? String(e.value);
              problems.push(
                problem('value', e.message ?? `expected ${expected}, found ${found}`, { path, expected, found }),
              );
            }
          } else metadata = d.right;
        }
      }
    } else if (options.metadata !== undefined) {
      // A codec was given: metadata must be there unless the codec accepts undefined.
      const d = options.metadata.decode(undefined);
      if (d._tag === 'Left') problems.push(problem('missing', 'missing from the file (a metadata codec was given)', { path: 'metadata' }));
      else metadata = d.right;
    }
    if (problems.length > 0 || !tree) return left(new IoError(problems));
    const out: { -readonly [K in keyof Checkpoint<P, S, M>]: Checkpoint<P, S, M>[K] } = {
      params: tree.params,
      optState: tree.optimizer,
      step: tree.step,
      key: tree.key,
    };
    if (metadata !== undefined) out.metadata = metadata;
    return right(out);
  });
}

function mapLeft<A>(e: Either<Problem, A>): Either<Problem[], A> {
  return e._tag === 'Left' ? left([e.left]) : right(e.right);
}
