import { ExitCode } from "./exit-codes.js";

/** What a lost claim stops: the platform, once it is made (Platform.halt), and anything else serving with it. */
export interface Halting {
  halt(): Promise<void>;
}

/** Options of {@link createClaimLoss}. */
export interface ClaimLossOptions {
  /** The command, as the one line it writes names it (`ecom serve`). */
  readonly command: string;
  readonly contexts: readonly string[];
  /** How long halting may take before the process exits anyway (a failed NATS or PostgreSQL can keep it waiting). */
  readonly graceMs?: number;
  readonly write?: (line: string) => void;
  readonly exit?: (code: number) => void;
}

/** What a process serving contexts on the backends does when it loses one of their claims. */
export interface ClaimLoss {
  /** Give to claimContexts as its `onLost`: it may be called before claimContexts returns. */
  readonly onLost: (error: Error) => void;
  /** Whether a claim was lost (the process is stopping). */
  readonly lost: boolean;
  /** The platform is made: a loss from now on halts it before the exit. */
  serving(halting: Halting): void;
}

/**
 * On a lost claim, write one line, stop serving and delivering, and exit 1, without releasing anything: the advisory
 * locks' session ends with the process, so no successor takes the contexts while this process may still commit for
 * them (a release first would let one in while requests and deliveries here are still finishing). A loss while the
 * platform is being made exits at once, as nothing serves yet.
 */
export function createClaimLoss(options: ClaimLossOptions): ClaimLoss {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let halting: Halting | undefined;
  let lost = false;
  return {
    get lost() {
      return lost;
    },
    serving(next) {
      halting = next;
    },
    onLost(error) {
      if (lost) return;
      lost = true;
      write(
        `${options.command}: ${error.message}; stopped delivering to ${options.contexts.join(", ")} and exiting.\n`,
      );
      if (!halting) return exit(ExitCode.failed);
      let exited = false;
      const exitOnce = () => {
        if (exited) return;
        exited = true;
        exit(ExitCode.failed);
      };
      const grace = setTimeout(exitOnce, options.graceMs ?? 2_000);
      void halting
        .halt()
        .catch(() => undefined)
        .finally(() => {
          clearTimeout(grace);
          exitOnce();
        });
    },
  };
}
