import type { MessagePayloads } from "@ecom/sdk";
import { allContexts } from "@ecom/services";
import { defineContext } from "@ecom/services/platform";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quiet, shopAt } from "../simulator/shop.js";

// A send command queues what it asks for, checked only when it is attempted: an unknown template, a channel the
// simulator does not send on, a customer that does not exist or a variable the template lacks fails the
// notification at its first attempt, with no retry, and publishes notification.failed; while the e-mail channel is
// down it is retried, and fails at the fifth attempt.

type SendCommand = MessagePayloads["ecommerce.notification.notification.send.v1"];

let platform: Platform;
let shop: ReturnType<typeof shopAt>;
let send: ((command: SendCommand) => Promise<void>) | undefined;

// The command's sender: a back-office tool, as campaigns would send it.
const backOffice = defineContext<Record<string, never>>({
  name: "backoffice",
  migrations: {},
  create(runtime) {
    send = (command) =>
      runtime.db.transaction().execute(async (trx) => {
        await runtime.outbox.publish(trx, "ecommerce.notification.notification.send.v1", command, {
          partitionKey: command.customerId,
          correlationId: `send-${command.customerId}`,
        });
      });
    return {};
  },
});

beforeAll(async () => {
  platform = await createPlatform({ contexts: [...allContexts, backOffice], memory: true, seed: 45, log: quiet });
  shop = shopAt(platform);
});
afterAll(async () => {
  await platform.close();
});

/** The customer's notifications as an admin reads them, newest first. */
async function notificationsOf(customerId: string) {
  const { client: ops } = await shop.admin();
  return (await ops.notification.listNotifications({ params: { query: { customerId } } })).data!.items;
}

async function mailTo(customerId: string) {
  const response = await platform.handle({
    method: "GET",
    url: `/_sim/mailbox?customerId=${customerId}`,
    headers: {},
    body: "",
  });
  return (JSON.parse(response.body) as { messages: { notificationId: string; subject: string }[] }).messages;
}

/** The payloads of notification.failed published for commands sent to `customerId`. */
async function failuresPublishedFor(customerId: string) {
  const published = await platform.eventLog.read({
    afterSeq: 0,
    types: ["ecommerce.notification.notification.failed.v1"],
    correlationId: `send-${customerId}`,
    limit: 10,
  });
  return published.map((event) => JSON.parse(event.envelope).payload);
}

/** A command that sends `customerId` the back-in-stock e-mail of one book. */
function backInStock(customerId: string): SendCommand {
  return {
    templateKey: "back_in_stock",
    customerId,
    channel: "email",
    variables: { title: "Introduction to Algorithms" },
  };
}

/** The messages the mailbox holds of one notification. */
async function mailOf(customerId: string, notificationId: string) {
  return (await mailTo(customerId)).filter((message) => message.notificationId === notificationId);
}

describe("a send command", () => {
  it("sends the template it names to its customer", async () => {
    const shopper = await shop.register();
    await send!(backInStock(shopper.customerId));
    await platform.settle();
    const [notification] = (await notificationsOf(shopper.customerId)).filter(
      (item) => item.templateKey === "back_in_stock",
    );
    expect(notification).toMatchObject({ status: "SENT", attemptCount: 1 });
    expect((await mailTo(shopper.customerId)).map((message) => message.subject)).toContain(
      "Introduction to Algorithms is back in stock",
    );
  });

  it.each([
    [
      "a template that does not exist",
      { templateKey: "no_such_template" },
      "template_error",
      () => "There is no template no_such_template.",
    ],
    [
      "a channel the simulator does not send on",
      { templateKey: "back_in_stock", channel: "sms" as const },
      "provider_rejected",
      () => "back_in_stock is not sent on sms; only email is simulated.",
    ],
    [
      "a customer that does not exist",
      { customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E" },
      "invalid_recipient",
      (customerId: string) => `No customer ${customerId} to send to.`,
    ],
    [
      "a variable the template needs missing",
      { variables: {} },
      "template_error",
      () => "back_in_stock needs title, which was not given",
    ],
  ] as const)(
    "fails at once, with no retry, for %s, and publishes notification.failed",
    async (_name, change, code, message) => {
      const shopper = await shop.register();
      const command: SendCommand = { ...backInStock(shopper.customerId), ...change };
      await send!(command);
      await platform.settle();
      const want = {
        templateKey: command.templateKey,
        channel: command.channel,
        status: "FAILED",
        attemptCount: 1,
        attempts: [{ attemptNumber: 1, status: "FAILED", errorCode: code }],
        error: { code, message: message(command.customerId) },
      };
      // Besides the welcome e-mail registering sent.
      const sentOn = async () =>
        (await notificationsOf(command.customerId)).filter((item) => item.templateKey !== "welcome");
      const [failed, ...others] = await sentOn();
      expect(others).toEqual([]);
      expect(failed).toMatchObject(want);
      expect(failed).not.toHaveProperty("nextAttemptAt");
      expect(await failuresPublishedFor(command.customerId)).toEqual([
        expect.objectContaining({
          notificationId: failed!.notificationId,
          attemptCount: 1,
          error: { code, message: message(command.customerId) },
        }),
      ]);

      // Nothing is tried again as the clock passes the retry schedule.
      await platform.advanceClock(3 * 3_600_000);
      await platform.settle();
      expect(await sentOn()).toEqual([failed]);
      expect(await mailOf(command.customerId, failed!.notificationId)).toEqual([]);
    },
  );

  it("fails at the fifth attempt while the e-mail channel stays down, and publishes notification.failed once", async () => {
    const shopper = await shop.register();
    await platform.settle();
    platform.faults.emailChannelDown = true;
    try {
      await send!(backInStock(shopper.customerId));
      await platform.settle();
      for (const wait of [60_000, 300_000, 1_800_000, 9_000_000]) {
        await platform.advanceClock(wait);
        await platform.settle();
      }
    } finally {
      platform.faults.emailChannelDown = false;
    }
    const [failed] = (await notificationsOf(shopper.customerId)).filter((item) => item.templateKey === "back_in_stock");
    expect(failed).toMatchObject({
      status: "FAILED",
      attemptCount: 5,
      error: { code: "provider_unavailable" },
      recipient: expect.stringMatching(/^s\*\*\*@example\.com$/),
      subject: "Introduction to Algorithms is back in stock",
    });
    expect(failed!.attempts.map((attempt) => attempt.errorCode)).toEqual(Array(5).fill("provider_unavailable"));
    expect(failed).not.toHaveProperty("nextAttemptAt");
    expect(await failuresPublishedFor(shopper.customerId)).toEqual([
      expect.objectContaining({ notificationId: failed!.notificationId, attemptCount: 5 }),
    ]);
    await platform.advanceClock(3 * 3_600_000);
    await platform.settle();
    expect(await mailOf(shopper.customerId, failed!.notificationId)).toEqual([]);
  });
});
