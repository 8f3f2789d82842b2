import type { Clock, FaultSwitches, Sleep } from "../platform/index.js";
import { type CardBrand, type CardOutcome, hasExpired } from "./cards.js";
import { AUTHORIZATION_HOLD_MS } from "./payment-model.js";

/**
 * The external payment processor, as the payment context sees it, and the simulated one `ecom sim` runs. A real
 * adapter (a card network gateway, Stripe, …) implements the same interface; nothing else in the context knows
 * which one it talks to.
 */

/** An amount in minor units. */
export interface ProcessorMoney {
  readonly amount: number;
  readonly currency: string;
}

/** What the processor knows of a card: the tokenized details, never the number. */
export interface ProcessorCard {
  readonly brand: CardBrand;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  /** Which way the simulated processor decides for this card (real processors ignore it). */
  readonly outcome: CardOutcome;
}

/** Why an issuer refused. */
export type DeclineCode = "card_declined" | "insufficient_funds" | "expired_card";

/**
 * Why the processor itself refused an operation on an authorization that has moved on: a void or another capture of
 * one it captured (`authorization_captured`), a capture of one it released (`authorization_voided`). The money is
 * where that earlier operation put it, so the refusal says which one did: its answer's `processorReference` is that
 * operation's reference.
 */
export type AuthorizationRefusal = "authorization_captured" | "authorization_voided";

/**
 * The processor's decision: done, refused (by the issuer, or by the processor for an authorization that has moved
 * on), or accepted for later (it confirms through its webhook). Errors of the processor itself are thrown as
 * {@link ProcessorError}.
 */
export type ProcessorAnswer =
  | { readonly status: "succeeded"; readonly processorReference: string }
  | {
      readonly status: "declined";
      readonly code: DeclineCode | AuthorizationRefusal;
      readonly processorReference: string;
      /** For `authorization_captured`: what that capture took (it may be less than the hold, or than asked now). */
      readonly captured?: ProcessorMoney;
    }
  | { readonly status: "pending"; readonly processorReference: string };

/** Every request carries our id of the operation, which the processor uses as its idempotency key. */
export interface ProcessorRequest {
  /** Our charge or refund id: asking twice with one reference is answered once, so a retry never charges twice. */
  readonly reference: string;
  /** Metadata the processor echoes in its webhooks (`data.paymentId`). */
  readonly paymentId: string;
  readonly amount: ProcessorMoney;
  readonly card: ProcessorCard;
}

/** The operations of a payment processor. */
export interface PaymentProcessor {
  /** Hold funds on the card. */
  authorize(request: ProcessorRequest): Promise<ProcessorAnswer>;
  /** Take (part of) the held funds of the authorization `authorization` (its processor reference). */
  capture(request: ProcessorRequest & { readonly authorization: string }): Promise<ProcessorAnswer>;
  /** Release a hold. */
  void(request: ProcessorRequest & { readonly authorization: string }): Promise<ProcessorAnswer>;
  /** Return (part of) the captured funds of the capture `capture`. */
  refund(request: ProcessorRequest & { readonly capture: string }): Promise<ProcessorAnswer>;
  /** Told the secret to sign its webhooks with (the payment context keeps it in its store). */
  useWebhookSecret?(secret: string): void;
}

/** The processor failed to decide: it answered with an error, or did not answer at all. */
export class ProcessorError extends Error {
  override name = "ProcessorError";
  constructor(
    readonly code: "processor_error" | "processor_unavailable",
    message: string,
  ) {
    super(message);
  }
}

/** True for a {@link ProcessorError} (checks `name`, so it works across copies of this module). */
export function isProcessorError(error: unknown): error is ProcessorError {
  return error instanceof Error && error.name === "ProcessorError";
}

/** How long a memory of the simulated processor keeps an entry, and how many entries at most. */
interface MemoryBounds {
  readonly windowMs: number;
  readonly answers: number;
}

/**
 * How long the simulated processor remembers an answer, as real processors keep idempotency keys (Stripe: 24
 * hours), and how many answers at most: a retry comes within seconds, and memory must not grow with the traffic.
 */
export const PROCESSOR_MEMORY = { windowMs: 24 * 60 * 60 * 1000, answers: 100_000 } as const satisfies MemoryBounds;

/**
 * How long it remembers what became of an authorization (captured or voided): for as long as the hold lasts and a
 * day more, so a void asked any time the money could still be in question learns it was taken; as many as answers.
 *
 * The count, not the window, is the bound under load: each authorization remembered costs about 370 bytes of heap
 * (measured: 100,000 of them and 100,000 answers hold 74 MB), so the 8 days are covered only while fewer than
 * 100,000 authorizations are captured or voided in them (0.14 a second). At 150 checkouts a second the memory reaches
 * back about 11 minutes; 8 days at that rate would be 104 million entries (38 GB), which an in-process simulator
 * cannot hold. Past the count the oldest are forgotten first, and a Void or Capture asked of a forgotten authorization
 * is decided as if it had never moved: a capture whose answer was lost longer ago than that is voided over (the
 * payment VOIDED, the money taken). Payment asks again within the saga's retries and re-drives (seconds to about a
 * minute) or at the next start, so a run that stops between a lost answer and the question for longer than the
 * memory reaches back is the case it does not cover. Forgetting costs each call only the entries it drops.
 */
export const AUTHORIZATION_MEMORY = {
  windowMs: AUTHORIZATION_HOLD_MS + PROCESSOR_MEMORY.windowMs,
  answers: PROCESSOR_MEMORY.answers,
} as const satisfies MemoryBounds;

/** Entries by key for `bounds`' window, at most its count of them, the oldest dropped first. */
function createProcessorMemory<TValue>(clock: Clock, bounds: MemoryBounds) {
  // In insertion order, so the oldest are first out.
  const entries = new Map<string, { readonly value: TValue; readonly at: number }>();
  return {
    remember(key: string, value: TValue): void {
      const now = clock.now().getTime();
      entries.delete(key);
      entries.set(key, { value, at: now });
      for (const [oldest, { at }] of entries) {
        if (entries.size <= bounds.answers && at > now - bounds.windowMs) break;
        entries.delete(oldest);
      }
    },
    recall(key: string): TValue | undefined {
      const known = entries.get(key);
      return known && known.at > clock.now().getTime() - bounds.windowMs ? known.value : undefined;
    },
  };
}

/** What became of an authorization, the reference of the operation that did it, and what a capture took. */
interface AuthorizationEnd {
  readonly state: "captured" | "voided";
  readonly processorReference: string;
  readonly captured?: ProcessorMoney;
}

/** What the simulated processor reads at call time. */
export interface SimulatedProcessorOptions {
  /** `paymentProcessorDown` and `paymentProcessorLatencyMs`, switched at run time by `POST /_sim/faults`. */
  readonly faults: FaultSwitches;
  readonly clock: Clock;
  readonly random: () => number;
  /**
   * Waits out the injected latency (a slow network is slow in real time): the platform gives its
   * `ContextRuntime.sleep`, which also ends when the platform closes; a plain real-time wait when absent (a processor
   * built alone); tests count it.
   */
  readonly sleep?: Sleep | undefined;
}

/**
 * The processor `ecom sim` runs in process. Test card numbers choose the outcome (see cards.ts); the fault switches
 * take it down or slow it (a real delay, as a slow network would be). Like a real processor it remembers the
 * references it answered for a while ({@link PROCESSOR_MEMORY}: 24 hours of platform time, and at most so many), so
 * asking again after a timeout or a crash gets the first answer instead of a second charge, and its memory does not
 * grow with the traffic. Like a real processor it also knows what became of each authorization: it refuses to void
 * one it captured (`authorization_captured`, so a caller that lost the capture's answer learns the money was taken)
 * and to capture one it voided or captured already (for the hold's 7 days and a day more: {@link AUTHORIZATION_MEMORY}).
 * It decides at once, so it never answers pending; a test that needs webhooks uses a processor that does.
 */
export function createSimulatedProcessor(options: SimulatedProcessorOptions): PaymentProcessor {
  const sleep =
    options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  // By our reference of the operation: a retry gets the first answer.
  const answered = createProcessorMemory<ProcessorAnswer>(options.clock, PROCESSOR_MEMORY);
  // By the authorization's processor reference: what became of it.
  const ended = createProcessorMemory<AuthorizationEnd>(options.clock, AUTHORIZATION_MEMORY);
  const reference = (prefix: string) => {
    let hex = "";
    for (let index = 0; index < 12; index++) hex += Math.floor(options.random() * 16).toString(16);
    return `${prefix}_sim_${hex}`;
  };

  const decide = async (request: ProcessorRequest, decision: () => ProcessorAnswer): Promise<ProcessorAnswer> => {
    const latency = options.faults.paymentProcessorLatencyMs;
    if (latency > 0) await sleep(latency);
    if (options.faults.paymentProcessorDown) {
      throw new ProcessorError("processor_unavailable", "The payment processor did not answer (simulated outage).");
    }
    const known = answered.recall(request.reference);
    if (known) return known;
    const answer = decision();
    answered.remember(request.reference, answer);
    return answer;
  };
  // An authorization is known by its reference; a request naming none (a payment whose authorization has no
  // reference) cannot be matched to one, and is decided as if it stood.
  const endOf = (authorization: string) => (authorization === "" ? undefined : ended.recall(authorization));
  const end = (authorization: string, state: AuthorizationEnd["state"], captured?: ProcessorMoney): ProcessorAnswer => {
    const processorReference = reference(state === "captured" ? "cp" : "vd");
    if (authorization !== "") {
      ended.remember(authorization, captured ? { state, processorReference, captured } : { state, processorReference });
    }
    return { status: "succeeded", processorReference };
  };
  const refusal = ({ state, processorReference, captured }: AuthorizationEnd): ProcessorAnswer =>
    state === "captured"
      ? { status: "declined", code: "authorization_captured", processorReference, ...(captured ? { captured } : {}) }
      : { status: "declined", code: "authorization_voided", processorReference };

  return {
    authorize: (request) =>
      decide(request, () => {
        const processorReference = reference("ch");
        switch (request.card.outcome) {
          case "processor_error":
            // An error is not an answer: it is not remembered, and every retry meets it again.
            throw new ProcessorError("processor_error", "The payment processor failed to process the authorization.");
          case "card_declined":
          case "insufficient_funds":
            return { status: "declined", code: request.card.outcome, processorReference };
          default:
            if (hasExpired(request.card, options.clock.now())) {
              return { status: "declined", code: "expired_card", processorReference };
            }
            return { status: "succeeded", processorReference };
        }
      }),
    // One capture per authorization, and none once it is voided.
    capture: (request) =>
      decide(request, () => {
        const ending = endOf(request.authorization);
        return ending ? refusal(ending) : end(request.authorization, "captured", request.amount);
      }),
    // The money of a captured authorization was taken: only a refund gives it back. Voided already: done.
    void: (request) =>
      decide(request, () => {
        const ending = endOf(request.authorization);
        if (ending?.state === "captured") return refusal(ending);
        if (ending) return { status: "succeeded", processorReference: ending.processorReference };
        return end(request.authorization, "voided");
      }),
    refund: (request) => decide(request, () => ({ status: "succeeded", processorReference: reference("re") })),
  };
}
