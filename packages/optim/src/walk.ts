/**
 * Flattening several trees of one structure (grads, params, state slots) in one walk and
 * rebuilding trees of that structure: core's `tree.flattenTogether` and `tree.unflatten`, with
 * error messages that name which tree ('grads', 'params', ...) differs.
 */
import { TreeStructureError, tree, type TreeDef } from '@fluxion/core';
import { assertSame } from './internal.js';

/** The structure of a tree without its leaves. */
export type Skeleton = TreeDef<unknown>;

/**
 * The leaves of every tree (in core's `leaves` order) and their common structure.
 * @throws TreeStructureError naming the trees (`names`) and the first path where one differs
 *   from `trees[0]`.
 */
export function flattenTogether(
  op: string,
  names: readonly string[],
  trees: readonly unknown[],
): { leaves: unknown[][]; skeleton: Skeleton } {
  try {
    const { leaves, treedef } = tree.flattenTogether(trees, op);
    return { leaves, skeleton: treedef };
  } catch (e) {
    if (e instanceof TreeStructureError) {
      for (let t = 1; t < trees.length; t++) assertSame(op, names[0]!, trees[0], names[t]!, trees[t]);
    }
    throw e;
  }
}

/** A tree of `skeleton`'s structure with `leaves` in order: fresh records (sorted keys) and arrays. */
export function build<T>(skeleton: Skeleton, leaves: readonly unknown[]): T {
  return tree.unflatten(skeleton, leaves) as T;
}
