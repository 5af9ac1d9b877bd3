/**
 * @fluxion/io/node: files for Node. Writes are atomic: the bytes go to a temporary file in the
 * same folder, which is flushed to disk (fsync) and then renamed over the target, and the folder
 * is fsynced where the platform allows it. A crash at any moment leaves either the old complete
 * file or the new complete file (plus, at worst, a stray `.<name>.<random>.tmp` file).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { left, type Either } from 'fp-ts/lib/Either.js';
import {
  IoError,
  loadCheckpoint,
  loadNpz,
  saveCheckpoint,
  saveNpz,
  type Checkpoint,
  type LoadCheckpointOptions,
  type LoadNpzOptions,
  type Loaded,
  type SaveCheckpointOptions,
  type SaveNpzOptions,
} from './index.js';

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Errors that only say "this platform cannot fsync a directory" (Windows, some filesystems). */
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'ENOTSUP', 'EBADF']);

async function syncDir(dir: string): Promise<void> {
  let h;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch (e) {
    if (!DIR_SYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await h?.close();
  }
}

function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    if (!DIR_SYNC_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder, fsync, rename over
 * `path`, fsync of the folder (where supported). Readers see the old file or the new one, never
 * a part. On failure the temporary file is removed and the promise rejects with the fs error.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = tempPath(path);
  const h = await open(tmp, 'wx', 0o644);
  try {
    try {
      await h.writeFile(data);
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(dirname(path));
}

/** The synchronous {@link writeFileAtomic}; throws the fs error on failure. */
export function writeFileAtomicSync(path: string, data: Uint8Array): void {
  const tmp = tempPath(path);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  syncDirSync(dirname(path));
}

async function readBytes(path: string): Promise<Either<IoError, Uint8Array>> {
  try {
    const b = await readFile(path);
    return { _tag: 'Right', right: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return left(new IoError([{ kind: 'file', path, message: `${path}: cannot read (${err.code ?? err.message})` }]));
  }
}

/**
 * `saveNpz(tree, options)` written atomically to `path` (Chainer's
 * `serializers.save_npz(path, model)`).
 * @throws what `saveNpz` throws; rejects with the fs error when the file cannot be written.
 */
export async function saveNpzFile(path: string, tree: unknown, options: SaveNpzOptions = {}): Promise<void> {
  await writeFileAtomic(path, saveNpz(tree, options));
}

/**
 * Reads `path` and `loadNpz`s it into `template` (Chainer's `serializers.load_npz(path, model)`).
 * @returns the loaded tree, or an IoError: a `file` problem when the file cannot be read, else
 *   every problem `loadNpz` finds. Rejects only for a bad template (ValueError).
 */
export async function loadNpzFile<T>(path: string, template: T, options: LoadNpzOptions = {}): Promise<Either<IoError, Loaded<T>>> {
  const b = await readBytes(path);
  return b._tag === 'Left' ? b : loadNpz(b.right, template, options);
}

/** `saveCheckpoint(ckpt, options)` written atomically to `path`. */
export async function saveCheckpointFile<P, S, M>(path: string, ckpt: Checkpoint<P, S, M>, options: SaveCheckpointOptions = {}): Promise<void> {
  await writeFileAtomic(path, saveCheckpoint(ckpt, options));
}

/** Reads `path` and `loadCheckpoint`s it; a `file` problem when it cannot be read. */
export async function loadCheckpointFile<P, S, M = unknown>(
  path: string,
  template: { readonly params: P; readonly optState: S },
  options: LoadCheckpointOptions<M> = {},
): Promise<Either<IoError, Checkpoint<P, S, M>>> {
  const b = await readBytes(path);
  return b._tag === 'Left' ? b : loadCheckpoint(b.right, template, options);
}
