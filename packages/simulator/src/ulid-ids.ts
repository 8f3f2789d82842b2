import type { Clock, Ids } from "@ecom/services/platform";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Where an id generator is: the millisecond of its last id and that id's random part (digits 0–31). */
export interface UlidState {
  readonly lastTime: number;
  readonly randomPart: readonly number[];
}

/**
 * Prefixed ULIDs (`ord_01JH8Z…`): 48 bits of the clock's milliseconds then 80 random bits, Crockford base32. Ids
 * made in the same millisecond increment the random part, so they still sort in the order they were made.
 *
 * `resume` continues from a state `state()` gave (a seed snapshot's), so the next id is the one that generator
 * would have made.
 */
export function createUlidIds(clock: Clock, random: () => number, resume?: UlidState): Ids & { state(): UlidState } {
  let lastTime = resume?.lastTime ?? -1;
  const randomPart: number[] = resume ? [...resume.randomPart] : new Array(16).fill(0);
  return {
    state: () => ({ lastTime, randomPart: [...randomPart] }),
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
