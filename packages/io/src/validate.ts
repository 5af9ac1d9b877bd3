/**
 * io-ts glue: codecs fail with a {@link Problem} as the failure's value, so that every error
 * io-ts collects (it collects all of them, not just the first) becomes one Problem with its path,
 * what was expected and what was found. @internal
 */
import * as t from 'io-ts';
import { problem, type Problem, type ProblemKind } from './errors.js';

const PROBLEMS = new WeakSet<object>();

/** A failure whose value is the problem itself. */
export function fail<A>(c: t.Context, p: Problem): t.Validation<A> {
  PROBLEMS.add(p);
  return t.failure<A>(p, c, p.message);
}

/** A problem-carrying failure built in one go. */
export function failWith<A>(
  c: t.Context,
  kind: ProblemKind,
  message: string,
  extra: { path?: string; expected?: string; found?: string } = {},
): t.Validation<A> {
  return fail<A>(c, problem(kind, message, extra));
}

/** The key path of a context: the non-empty keys joined with '/'. */
export function contextPath(c: t.Context): string {
  return c
    .map((e) => e.key)
    .filter((k) => k !== '')
    .join('/');
}

/**
 * Turns io-ts errors into problems. Errors raised by our codecs carry their problem; any other
 * (a built-in codec such as `t.boolean`, or a missing key) is described by `generic`.
 */
export function toProblems(errors: t.Errors, generic: (e: t.ValidationError) => Problem): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<Problem>();
  for (const e of errors) {
    const v = e.value;
    const p = typeof v === 'object' && v !== null && PROBLEMS.has(v) ? (v as Problem) : generic(e);
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  }
  return out;
}

/** A failure carrying several problems. */
export function failAll<A>(c: t.Context, problems: readonly Problem[]): t.Validation<A> {
  for (const p of problems) PROBLEMS.add(p);
  return t.failures<A>(problems.map((p) => ({ value: p, context: c, message: p.message })));
}
