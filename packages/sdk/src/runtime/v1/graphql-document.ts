/**
 * A GraphQL operation as generated code ships it: its text and name, typed by the `data` it answers and the variables
 * it takes, so a client can check both at compile time without parsing the document.
 */
export interface GraphqlDocument<TResult, TVariables> {
  readonly operationName: string;
  /** The operation and the fragments it spreads, printed. */
  readonly query: string;
  /** Never set: carries the result and variables types for inference. */
  readonly __types?: { readonly result: TResult; readonly variables: TVariables };
}
