/**
 * @fluxion/io: checkpoints that numpy and Chainer read and write.
 *
 * - `.npy` / `.npz` exactly as numpy writes them (`encodeNpy`, `saveNpz`), and what numpy writes read
 *   back (`decodeNpy`, `decodeNpz`, `loadNpz`), checked against a template tree with io-ts.
 * - Checkpoints (`saveCheckpoint` / `loadCheckpoint`): params, optimizer state, step, random key
 *   and JSON metadata in one `.npz`.
 * - Everything here is pure (`Uint8Array` in and out) and runs in browsers; files are written
 *   atomically by the Node adapter, `@fluxion/io/node`.
 *
 * Decoders never throw on bad bytes: they return an fp-ts `Either` whose left side, an `IoError`,
 * lists every problem at once.
 */
export { IoError, type Problem, type ProblemKind } from './errors.js';
export {
  parseDescr,
  parseNpy,
  formatNpy,
  npyToTensor,
  npyFromTensor,
  decodeNpy,
  encodeNpy,
  fluxionDTypeOf,
  type ByteOrder,
  type NpyKind,
  type NpyDType,
  type NpyArray,
} from './npy.js';
export { crc32, readZip, writeZip, type ZipEntry, type ZipInput, type WriteZipOptions } from './zip.js';
export { parseNpz, decodeNpz, formatNpz, type NpzWriteOptions } from './npz.js';
export { saveNpz, loadNpz, type SaveNpzOptions, type LoadNpzOptions, type Loaded, type PrefixSource } from './trees.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  CHECKPOINT_VERSION,
  type Checkpoint,
  type SaveCheckpointOptions,
  type LoadCheckpointOptions,
} from './checkpoint.js';
