/**
 * A condition a test waits on without polling: the code under test says when something changed (`changed()`, called
 * from its callback or listener), and each wait is asked again then. A wait has no deadline of its own: it takes as
 * long as the work does, however busy the machine, and the test's timeout is what bounds it.
 */
export interface Condition {
  /** Something the waits look at may have changed: settle those whose check holds now. */
  changed(): void;
  /** Resolves once `check` holds: at once, or at a later `changed()`. */
  until(check: () => boolean): Promise<void>;
}

export function createCondition(): Condition {
  const waiters = new Set<{ readonly check: () => boolean; readonly resolve: () => void }>();
  return {
    changed() {
      for (const waiter of waiters)
        if (waiter.check()) {
          waiters.delete(waiter);
          waiter.resolve();
        }
    },
    until(check) {
      if (check()) return Promise.resolve();
      return new Promise((resolve) => waiters.add({ check, resolve }));
    },
  };
}
