/**
 * Real numpy reads Fluxion's files. Fluxion writes npy/npz files (stored and compressed, a
 * checkpoint with a random key and unicode metadata); python3 with numpy loads each one and checks
 * every key, dtype, shape and the exact bytes of every array; it also re-saves the arrays with
 * `numpy.savez` and compares with Fluxion's bytes.
 *
 * numpy must be installed (.ci/run installs it: `apt-get install -y python3-numpy`); this test
 * fails rather than skips without it. Every python found that imports numpy is used (e.g. Debian's
 * /usr/bin/python3 with numpy 1.24 and a pyenv python with numpy 2.x).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, random, tensor, tree } from '@fluxion/core';
import { encodeNpy, saveCheckpoint, saveNpz } from '@fluxion/io';
import { afterAll, describe, expect, it } from 'vitest';

const CANDIDATES = [process.env.FLUXION_PYTHON, 'python3', '/usr/bin/python3', '/usr/local/bin/python3', 'python'].filter(
  (p): p is string => typeof p === 'string' && p !== '',
);

/** Pythons that import numpy, one per distinct (python, numpy) version pair. */
function pythonsWithNumpy(): { exe: string; version: string }[] {
  const found = new Map<string, { exe: string; version: string }>();
  for (const exe of CANDIDATES) {
    try {
      const out = execFileSync(exe, ['-c', 'import sys, numpy; print(sys.executable, numpy.__version__, sys.version.split()[0])'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 20000,
      }).trim();
      const [, np, py] = out.split(' ');
      const version = `python ${py}, numpy ${np}`;
      if (np && !found.has(version)) found.set(version, { exe, version });
    } catch {
      /* not there, or no numpy */
    }
  }
  return [...found.values()];
}

const dir = mkdtempSync(join(tmpdir(), 'fluxion-io-numpy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hex = (t: Tensor): string => {
  const d = t.data;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
};
const f32 = (vals: number[], shape: number[]) => tensor(new Float32Array(vals), { dtype: 'float32', shape });

/** A tree that exercises every dtype, 0-d and empty arrays, special floats and slashy keys. */
const params = {
  l1: { W: f32([1.5, -2, 3.25, 1e-40, NaN, -0], [3, 2]), b: f32([Infinity, -Infinity, 0.1], [3]) },
  l2: { W: tensor(new Float64Array([Math.PI, -1e300, 5e-324]), { dtype: 'float64', shape: [1, 3] }), b: tensor(new Float64Array([2]), { dtype: 'float64', shape: [] }) },
  'layer/with/slash': { idx: tensor(new Int32Array([-2147483648, 2147483647, 0, 7]), { dtype: 'int32', shape: [2, 2] }) },
  mask: tensor([true, false, true]),
  empty: f32([], [0, 3]),
  big: tensor(Float32Array.from({ length: 5000 }, (_, i) => Math.sin(i)), { dtype: 'float32', shape: [50, 100] }),
};

interface Expect {
  /** numpy dtype.str, shape and the hex of the C-order little-endian bytes, per key. */
  arrays: Record<string, { dtype: string; shape: number[]; hex: string }>;
  /** Expected JSON metadata, when the file has a 'metadata' entry. */
  metadata?: unknown;
  /** Compare with numpy.savez's bytes for the same arrays in sorted key order. */
  savez?: 'stored' | 'compressed';
}

const expectations: Record<string, Expect> = {};

function expectTree(t: unknown, prefix = ''): Expect['arrays'] {
  const out: Expect['arrays'] = {};
  for (const [p, leaf] of tree.withPaths(t) as [string, unknown][]) {
    if (leaf instanceof Tensor) {
      out[prefix + p] = { dtype: { float32: '<f4', float64: '<f8', int32: '<i4', bool: '|b1' }[leaf.dtype], shape: [...leaf.shape], hex: hex(leaf) };
    }
  }
  return out;
}

const key = random.key(123456789);
const ckpt = {
  params,
  optState: { t: 42, l1: { W: { m: f32([0, 1, 2, 3, 4, 5], [3, 2]) } } },
  step: 987654321,
  key,
  metadata: { model: 'MyChain', lr: 0.001, note: 'héllo ✓ 😀', layers: [1, 16, 32, 1] },
};

function write(name: string, bytes: Uint8Array, exp: Expect): void {
  writeFileSync(join(dir, name), bytes);
  expectations[name] = exp;
}

write('params_stored.npz', saveNpz(params), { arrays: expectTree(params), savez: 'stored' });
write('params_compressed.npz', saveNpz(params, { compress: true }), { arrays: expectTree(params), savez: 'compressed' });
write('predictor.npz', saveNpz(params, { prefix: 'predictor/', compress: true }), { arrays: expectTree(params, 'predictor/') });
for (const compress of [false, true]) {
  const u4 = Buffer.from(new Uint32Array(random.keyData(key)).buffer).toString('hex');
  const i8 = (v: number) => Buffer.from(new BigInt64Array([BigInt(v)]).buffer).toString('hex');
  write(`checkpoint_${compress ? 'compressed' : 'stored'}.npz`, saveCheckpoint(ckpt, { compress }), {
    arrays: {
      ...expectTree(params, 'params/'),
      'optimizer/l1/W/m': { dtype: '<f4', shape: [3, 2], hex: hex(ckpt.optState.l1.W.m) },
      'optimizer/t': { dtype: '<i8', shape: [], hex: i8(42) },
      step: { dtype: '<i8', shape: [], hex: i8(987654321) },
      key: { dtype: '<u4', shape: [2], hex: u4 },
      fluxion_checkpoint: { dtype: '<i8', shape: [], hex: i8(1) },
    },
    metadata: ckpt.metadata,
  });
}
// Single .npy files.
for (const [k, t] of [['W', params.l1.W], ['scalar', params.l2.b], ['mask', params.mask], ['ints', params['layer/with/slash'].idx]] as const) {
  write(`${k}.npy`, encodeNpy(t), { arrays: { '': { dtype: expectTree({ x: t }).x!.dtype, shape: [...t.shape], hex: hex(t) } } });
}

const SCRIPT = String.raw`
import io, json, os, sys, zipfile
import numpy as np
d = sys.argv[1]
exp = json.load(open(os.path.join(d, 'expect.json')))
checked = 0
identical = []
for name, e in sorted(exp.items()):
    path = os.path.join(d, name)
    if name.endswith('.npy'):
        a = np.load(path, allow_pickle=False)
        got = {'': a}
    else:
        z = np.load(path, allow_pickle=False)
        keys = sorted(z.files)
        want = sorted(list(e['arrays']) + (['metadata'] if 'metadata' in e else []))
        assert keys == want, (name, keys, want)
        got = {k: z[k] for k in keys}
        if 'metadata' in e:
            m = got.pop('metadata')
            assert m.dtype.kind == 'U' and m.shape == (), (name, m.dtype, m.shape)
            assert json.loads(m.item()) == e['metadata'], (name, m.item())
        # zipfile's own CRC check of every entry
        assert zipfile.ZipFile(path).testzip() is None, name
    for k, w in e['arrays'].items():
        a = got[k]
        assert a.dtype.str == w['dtype'], (name, k, a.dtype.str, w['dtype'])
        assert list(a.shape) == w['shape'], (name, k, a.shape, w['shape'])
        assert a.flags.c_contiguous
        assert a.tobytes().hex() == w['hex'], (name, k)
        checked += 1
    if name.startswith('checkpoint_'):
        # What Chainer's load_npz(f, model, path='params/') does: for every param, numpy.copyto
        # from npz[path + name] into the model's array (shapes must match exactly here).
        model = {k[len('params/'):]: np.zeros(w['shape'], dtype=w['dtype']) for k, w in e['arrays'].items() if k.startswith('params/')}
        with np.load(path) as f:
            for k, target in model.items():
                src = f['params/' + k]
                assert src.shape == target.shape, (k, src.shape, target.shape)
                np.copyto(target, src)
                assert target.tobytes() == src.tobytes()
            t = int(np.asarray(f['optimizer/t']))  # how Chainer restores Optimizer.t
            assert t == 42
    if e.get('savez'):
        # numpy writing the same arrays (sorted keys, as Fluxion does): same npy payloads, and for
        # stored archives the same file when this Python's zipfile uses the same zip64 layout.
        buf = io.BytesIO()
        (np.savez if e['savez'] == 'stored' else np.savez_compressed)(buf, **{k: got[k] for k in sorted(got)})
        mine = zipfile.ZipFile(path)
        theirs = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
        assert [i.filename for i in mine.infolist()] == [i.filename for i in theirs.infolist()], name
        for i in mine.infolist():
            assert mine.read(i.filename) == theirs.read(i.filename), (name, i.filename)
        raw = open(path, 'rb').read()
        if e['savez'] == 'stored' and buf.getvalue()[4:6] == raw[4:6]:
            assert buf.getvalue() == raw, name
            identical.append(name)
print(json.dumps({'checked': checked, 'identical': identical}))
`;

describe('numpy reads what Fluxion writes', () => {
  const pythons = pythonsWithNumpy();

  it('numpy is installed (never skipped: .ci/run installs python3-numpy)', () => {
    expect(pythons.length, `no python with numpy among ${CANDIDATES.join(', ')}; install it: apt-get install -y python3-numpy`).toBeGreaterThan(0);
  });

  for (const py of pythons) {
    it(`${py.version}: every key, dtype, shape and byte; npy payloads identical to numpy.savez's`, () => {
      writeFileSync(join(dir, 'expect.json'), JSON.stringify(expectations));
      const out = execFileSync(py.exe, ['-c', SCRIPT, dir], { encoding: 'utf8', timeout: 60000 });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { checked: number; identical: string[] };
      const total = Object.values(expectations).reduce((n, e) => n + Object.keys(e.arrays).length, 0);
      expect(r.checked).toBe(total);
      console.info(`[numpy-interop] ${py.version}: ${r.checked} arrays in ${Object.keys(expectations).length} files verified; byte-identical to numpy.savez: ${r.identical.join(', ') || 'none (this zipfile writes the newer zip64 local-header layout)'}`);
    });
  }
});
