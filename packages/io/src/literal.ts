/**
 * A small parser for the Python literals that numpy writes in `.npy` headers, e.g.
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (16, 1), }`. It never evaluates anything:
 * it knows strings, integers, `True`/`False`/`None`, tuples, lists and dicts, nothing else.
 * @internal
 */

/** A parsed Python literal: tuples and lists become arrays, dicts become null-prototype records. */
export type PyValue = string | number | boolean | null | PyTuple | PyList | PyDict;
/** A Python tuple. */
export interface PyTuple {
  readonly kind: 'tuple';
  readonly items: readonly PyValue[];
}
/** A Python list. */
export interface PyList {
  readonly kind: 'list';
  readonly items: readonly PyValue[];
}
/** A Python dict with string keys (numpy headers never use other keys). */
export interface PyDict {
  readonly kind: 'dict';
  readonly entries: ReadonlyMap<string, PyValue>;
}

/** Nesting deeper than this is refused (no stack overflow on `((((((...`). */
const MAX_DEPTH = 32;

/** Parses one literal filling all of `src` (surrounding whitespace allowed); an error message on failure. */
export function parsePyLiteral(src: string): { ok: true; value: PyValue } | { ok: false; error: string } {
  const p = new Parser(src);
  try {
    p.ws();
    const v = p.value(0);
    p.ws();
    if (p.i < src.length) p.fail(`unexpected ${JSON.stringify(src.slice(p.i, p.i + 10))} after the literal`);
    return { ok: true, value: v };
  } catch (e) {
    if (e instanceof LiteralError) return { ok: false, error: e.message };
    throw e;
  }
}

class LiteralError extends Error {}

const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(msg: string): never {
    throw new LiteralError(`header literal, at offset ${this.i}: ${msg}`);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11) this.i++;
      else break;
    }
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH}`);
    const c = this.s[this.i];
    if (c === undefined) this.fail('unexpected end of the header');
    if (c === "'" || c === '"') return this.string();
    if (c === '(') return this.sequence(')', depth, 'tuple');
    if (c === '[') return this.sequence(']', depth, 'list');
    if (c === '{') return this.dict(depth);
    if (c === '-' || c === '+' || (c >= '0' && c <= '9')) return this.int();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i, this.i + 16))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.i += word.length;
      return word === 'None' ? null : word === 'True';
    }
    return this.fail(`unsupported literal starting with ${JSON.stringify(this.s.slice(this.i, this.i + 10))}`);
  }

  string(): string {
    const q = this.s[this.i]!;
    this.i++;
    let out = '';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      this.i++;
      if (c === q) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.s[this.i];
      if (e === undefined) this.fail('unterminated string');
      this.i++;
      const simple = ESCAPES[e];
      if (simple !== undefined) out += simple;
      else if (e === 'x' || e === 'u' || e === 'U') {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) this.fail(`bad \\${e} escape`);
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) this.fail(`bad \\${e} escape`);
        out += String.fromCodePoint(cp);
        this.i += n;
      } else this.fail(`unsupported escape \\${e}`);
    }
  }

  int(): number {
    const m = /^[-+]?[0-9]+[lL]?/.exec(this.s.slice(this.i, this.i + 40));
    if (!m) return this.fail('bad number');
    const text = m[0].replace(/[lL]$/, '');
    const next = this.s[this.i + m[0].length];
    if (next !== undefined && /[0-9A-Za-z_.]/.test(next)) this.fail('only decimal integers are supported in a header');
    const v = Number(text);
    if (!Number.isSafeInteger(v)) this.fail(`integer ${text} is too large`);
    this.i += m[0].length;
    return v === 0 ? 0 : v; // no -0
  }

  sequence(close: string, depth: number, kind: 'tuple' | 'list'): PyValue {
    this.i++;
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.ws();
      if (this.i >= this.s.length) this.fail('unexpected end of the header');
      if (this.s[this.i] === close) {
        this.i++;
        break;
      }
      items.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        sawComma = true;
      } else if (c === close) {
        this.i++;
        break;
      } else this.fail(`expected ',' or '${close}'`);
    }
    // `(5)` is just 5 in Python; numpy always writes `(5,)`.
    if (kind === 'tuple' && items.length === 1 && !sawComma) return items[0]!;
    return Object.freeze({ kind, items: Object.freeze(items) });
  }

  dict(depth: number): PyDict {
    this.i++;
    const entries = new Map<string, PyValue>();
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        break;
      }
      const c = this.s[this.i];
      if (c === undefined) this.fail('unexpected end of the header');
      if (c !== "'" && c !== '"') this.fail('dict keys must be strings');
      const k = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      this.ws();
      const v = this.value(depth + 1);
      if (entries.has(k)) this.fail(`duplicate key '${k}'`);
      entries.set(k, v);
      this.ws();
      const d = this.s[this.i];
      if (d === ',') this.i++;
      else if (d === '}') {
        this.i++;
        break;
      } else this.fail("expected ',' or '}'");
    }
    return Object.freeze({ kind: 'dict', entries });
  }
}
