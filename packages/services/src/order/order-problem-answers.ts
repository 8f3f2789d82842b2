import type { RestResult } from "../platform/index.js";
import { OrderProblem } from "./order-commands.js";

/**
 * A problem+json answer with the contract's own code for it (`checkout_failed`, `invalid_transition`,
 * `card_declined`, …), which the platform's closed set of ServiceError codes does not have.
 */
function problemResult(problem: OrderProblem, instance: string, correlationId: string): RestResult {
  return {
    status: problem.status,
    headers: { "content-type": "application/problem+json" },
    body: {
      type: `https://ecom.dev/problems/${problem.code}`,
      title: problem.title,
      status: problem.status,
      code: problem.code,
      detail: problem.message,
      instance,
      correlationId,
    },
  };
}

/** Run `handle`, answering an {@link OrderProblem} as its problem+json. */
export async function answering<TResult>(
  instance: string,
  correlationId: string,
  handle: () => Promise<TResult>,
): Promise<TResult> {
  try {
    return await handle();
  } catch (error) {
    if (error instanceof OrderProblem) return problemResult(error, instance, correlationId) as TResult;
    throw error;
  }
}
