import type { Clock, Ids } from "@ecom/services/platform";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * Prefixed ULIDs (`ord_01JH8Z…`): 48 bits of the clock's milliseconds then 80 random bits, Crockford base32. Ids
 * made in the same millisecond increment the random part, so they still sort in the order they were made.
 */
export function createUlidIds(clock: Clock, random: () => number): Ids {
  let lastTime = -1;
  const randomPart: number[] = new Array(16).fill(0);
  return {
    next(prefix: string): string {
      const time = clock.now().getTime();
      if (time === lastTime) {
        for (let index = 15; index >= 0; index--) {
          randomPart[index] = (randomPart[index]! + 1) % 32;
          if (randomPart[index] !== 0) break;
        }
      } else {
        lastTime = time;
        for (let index = 0; index < 16; index++) randomPart[index] = Math.floor(random() * 32);
      }
      let timePart = "";
      let rest = time;
      for (let index = 0; index < 10; index++) {
        timePart = CROCKFORD[rest % 32] + timePart;
        rest = Math.floor(rest / 32);
      }
      return `${prefix}_${timePart}${randomPart.map((digit) => CROCKFORD[digit]).join("")}`;
    },
  };
}
