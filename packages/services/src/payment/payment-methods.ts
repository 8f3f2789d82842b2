import { brandOf, type CardOutcome, hasExpired, outcomeOf, passesLuhn } from "./cards.js";
import { PaymentError } from "./payment-errors.js";
import type { PaymentMethodRow } from "./payment-model.js";
import type { PaymentRuntime } from "./payment-runtime.js";
import type { ProcessorCard } from "./processor.js";

/** A card to tokenize, as the customer typed it. */
export interface CardInput {
  readonly customerId: string;
  readonly cardNumber: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly holderName: string;
}

/** Check a card and keep it as a payment method; the number itself is never stored. */
export async function tokenize({ db, clock, ids }: PaymentRuntime, input: CardInput): Promise<PaymentMethodRow> {
  if (!passesLuhn(input.cardNumber)) {
    throw new PaymentError("invalid_card_number", "The card number fails the Luhn check; check the digits.", {
      pointer: "/cardNumber",
    });
  }
  if (hasExpired(input, clock.now())) {
    throw new PaymentError(
      "expired_card",
      `The card expired in ${String(input.expMonth).padStart(2, "0")}/${input.expYear}; use another card.`,
      { pointer: "/expYear" },
    );
  }
  const row: PaymentMethodRow = {
    payment_token: ids.next("tok"),
    customer_id: input.customerId,
    brand: brandOf(input.cardNumber),
    last4: input.cardNumber.slice(-4),
    exp_month: input.expMonth,
    exp_year: input.expYear,
    holder_name: input.holderName,
    // The only thing kept from the number besides its last four digits.
    outcome: outcomeOf(input.cardNumber),
    created_at: clock.now().toISOString(),
  };
  await db.insertInto("payment_methods").values(row).execute();
  return row;
}

/** The card of a stored payment method, as the processor is shown it. */
export function cardFrom(method: PaymentMethodRow): ProcessorCard {
  return {
    brand: method.brand as ProcessorCard["brand"],
    last4: method.last4,
    expMonth: method.exp_month,
    expYear: method.exp_year,
    outcome: method.outcome as CardOutcome,
  };
}
