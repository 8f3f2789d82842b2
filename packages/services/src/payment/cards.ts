/**
 * Card rules for tokenization: the Luhn check, the brand from the number's prefix, expiry, and which simulated
 * processor outcome a test card number stands for. The number itself is never kept: tokenization stores the
 * brand, the last four digits, the expiry and the outcome, and forgets the rest.
 */

/** The card network, as the contracts name it. */
export type CardBrand = "visa" | "mastercard" | "amex" | "discover" | "unknown";

/** What the simulated processor does when a card is used (chosen by the simulator's test card numbers). */
export type CardOutcome = "approve" | "card_declined" | "insufficient_funds" | "processor_error";

/** The simulator's test cards (contracts/openapi/payment.yaml); any other valid number is approved. */
export const TEST_CARDS: Readonly<Record<string, CardOutcome>> = {
  "4242424242424242": "approve",
  "4000000000000002": "card_declined",
  "4000000000009995": "insufficient_funds",
  "4000000000000119": "processor_error",
};

/** True when the digits pass the Luhn checksum (ISO/IEC 7812). */
export function passesLuhn(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The network of a card number, from its issuer identification prefix. */
export function brandOf(digits: string): CardBrand {
  if (/^4/.test(digits)) return "visa";
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return "mastercard";
  if (two === 34 || two === 37) return "amex";
  const three = Number(digits.slice(0, 3));
  if (four === 6011 || two === 65 || (three >= 644 && three <= 649)) return "discover";
  return "unknown";
}

/** A card is valid through the last day of its expiry month (UTC). */
export function hasExpired(card: { readonly expMonth: number; readonly expYear: number }, now: Date): boolean {
  const firstInvalidDay = Date.UTC(card.expYear, card.expMonth, 1);
  return now.getTime() >= firstInvalidDay;
}

/** The simulated outcome a card number stands for. */
export function outcomeOf(digits: string): CardOutcome {
  return TEST_CARDS[digits] ?? "approve";
}
