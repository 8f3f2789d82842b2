import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from "graphql";

/** How much one GraphQL operation may ask for. */
export interface GraphqlLimits {
  /** The deepest field nesting (`{ products { inventory { available } } }` is 3), introspection included. */
  readonly maxDepth: number;
  /** Field selections in all, each fragment counted again wherever it is spread. */
  readonly maxFields: number;
}

/**
 * The defaults: deep enough for every field of the contract and for shallow introspection, far below what a nested
 * introspection bomb (`__schema { types { fields { type { fields … } } } }`) or a page of aliased lists needs.
 */
export const DEFAULT_GRAPHQL_LIMITS: GraphqlLimits = { maxDepth: 8, maxFields: 200 };

/** Thrown inside the measurement to stop at the first limit crossed (fragment spreads may multiply the work). */
class OverLimit extends Error {}

/**
 * A validation rule refusing operations over `limits`, before any resolver runs: the cost of a query is bounded by
 * its text, whatever the data. Fragment cycles are left to graphql-js's own NoFragmentCyclesRule (a cycle ends the
 * walk here without a finding).
 */
export function queryLimitsRule(limits: GraphqlLimits): (context: ValidationContext) => ASTVisitor {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions)
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    return {
      OperationDefinition(operation) {
        let fields = 0;
        const walk = (selectionSet: SelectionSetNode, depth: number, spreading: ReadonlySet<string>) => {
          for (const selection of selectionSet.selections) {
            if (selection.kind === Kind.FIELD) {
              fields++;
              if (depth > limits.maxDepth) throw new OverLimit(`deeper than ${limits.maxDepth} levels of fields`);
              if (fields > limits.maxFields) throw new OverLimit(`more than ${limits.maxFields} fields`);
              if (selection.selectionSet) walk(selection.selectionSet, depth + 1, spreading);
            } else if (selection.kind === Kind.INLINE_FRAGMENT) {
              walk(selection.selectionSet, depth, spreading);
            } else {
              const name = selection.name.value;
              const fragment = fragments.get(name);
              if (!fragment || spreading.has(name)) continue;
              walk(fragment.selectionSet, depth, new Set([...spreading, name]));
            }
          }
        };
        try {
          walk(operation.selectionSet, 1, new Set());
        } catch (error) {
          if (!(error instanceof OverLimit)) throw error;
          const name = operation.name ? `${operation.name.value} asks for` : "The operation asks for";
          context.reportError(
            new GraphQLError(`${name} ${error.message}; split it into smaller queries.`, {
              nodes: operation,
              extensions: { code: "validation" },
            }),
          );
        }
      },
    };
  };
}
