import type { ShipmentLine } from "./shipment-views.js";

/** What a customer asks to send back. */
export interface RequestedLine {
  readonly productId: string;
  readonly quantity: number;
}

/** The lines of a return priced from the order's snapshot, or why they cannot be returned. */
export type ReturnLinesPlan =
  | {
      readonly kind: "ok";
      readonly lines: readonly (ShipmentLine & { readonly quantity: number })[];
      readonly refundAmount: number;
    }
  | { readonly kind: "exceeds"; readonly pointer: string; readonly message: string; readonly detail: string };

/**
 * Check requested lines against what the shipment delivered less what earlier returns of the order already take
 * back (`returned`, by product). Lines naming one product twice count together.
 */
export function planReturnLines(
  orderId: string,
  delivered: readonly ShipmentLine[],
  returned: ReadonlyMap<string, number>,
  requested: readonly RequestedLine[],
): ReturnLinesPlan {
  const asked = new Map<string, number>();
  const lines: (ShipmentLine & { quantity: number })[] = [];
  for (const [index, line] of requested.entries()) {
    const bought = delivered.find((candidate) => candidate.productId === line.productId);
    if (!bought) {
      return {
        kind: "exceeds",
        pointer: `/items/${index}/productId`,
        message: "is not in the order",
        detail: `Order ${orderId} has no ${line.productId}.`,
      };
    }
    const total = (asked.get(line.productId) ?? 0) + line.quantity;
    const left = bought.quantity - (returned.get(line.productId) ?? 0);
    if (total > left) {
      return {
        kind: "exceeds",
        pointer: `/items/${index}/quantity`,
        message: `must be <= ${Math.max(0, left - (asked.get(line.productId) ?? 0))}`,
        detail: `Order ${orderId} has ${bought.quantity} ${bought.quantity === 1 ? "copy" : "copies"} of ${line.productId}${left < bought.quantity ? `, ${bought.quantity - left} already returned` : ""}; ${total} ${total === 1 ? "was" : "were"} asked.`,
      };
    }
    asked.set(line.productId, total);
    const existing = lines.find((candidate) => candidate.productId === line.productId);
    if (existing) existing.quantity += line.quantity;
    else lines.push({ ...bought, quantity: line.quantity });
  }
  const refundAmount = lines.reduce((sum, line) => sum + line.unitPrice.amount * line.quantity, 0);
  return { kind: "ok", lines, refundAmount };
}

const RMA_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A return merchandise authorization number (`RMA-` and 8 Crockford base-32 characters) from `random`. */
export function rmaNumber(random: () => number): string {
  let text = "RMA-";
  for (let index = 0; index < 8; index++) text += RMA_ALPHABET[Math.floor(random() * RMA_ALPHABET.length)];
  return text;
}
