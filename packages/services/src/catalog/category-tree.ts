/** A category as the tree needs it: its id and its parent's. */
export interface CategoryNode {
  readonly categoryId: string;
  readonly parentId: string | null;
}

/**
 * The category hierarchy in memory (it is small: tens of nodes), for the questions the catalog asks of it: a
 * category's ancestors (events and RPCs carry them so consumers can roll up facets without the tree) and its
 * descendants (the RPC's category filter includes subcategories).
 */
export class CategoryTree {
  readonly #parents = new Map<string, string | null>();
  readonly #children = new Map<string, string[]>();

  constructor(nodes: Iterable<CategoryNode>) {
    for (const node of nodes) {
      this.#parents.set(node.categoryId, node.parentId);
      if (node.parentId !== null) {
        const siblings = this.#children.get(node.parentId) ?? [];
        siblings.push(node.categoryId);
        this.#children.set(node.parentId, siblings);
      }
    }
  }

  /** Whether the tree holds this category. */
  has(categoryId: string): boolean {
    return this.#parents.has(categoryId);
  }

  /** The path from the root down to the category's parent; empty for a top-level or unknown category. */
  ancestorsOf(categoryId: string): string[] {
    const path: string[] = [];
    const seen = new Set([categoryId]);
    let parent = this.#parents.get(categoryId) ?? null;
    // The store forbids cycles (a parent must exist before its child); `seen` guards against a corrupted store.
    while (parent !== null && !seen.has(parent)) {
      seen.add(parent);
      path.unshift(parent);
      parent = this.#parents.get(parent) ?? null;
    }
    return path;
  }

  /** Every ancestor of any of `categoryIds` that is not itself one of them, each once, in first-seen order. */
  ancestorsOfAll(categoryIds: readonly string[]): string[] {
    const own = new Set(categoryIds);
    const result = new Set<string>();
    for (const categoryId of categoryIds) {
      for (const ancestor of this.ancestorsOf(categoryId)) if (!own.has(ancestor)) result.add(ancestor);
    }
    return [...result];
  }

  /** The category and everything below it. */
  subtreeOf(categoryId: string): string[] {
    const result: string[] = [];
    const pending = [categoryId];
    const seen = new Set<string>();
    while (pending.length > 0) {
      const next = pending.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      result.push(next);
      pending.push(...(this.#children.get(next) ?? []));
    }
    return result;
  }
}
