import type { notificationApi } from "@ecom/sdk";
import {
  type ContextRuntime,
  decodeQueryCursor,
  fail,
  type OperationHandler,
  type Principal,
  pageOf,
  requireAdmin,
  signedIn,
} from "../platform/index.js";
import { toNotification } from "./notification-views.js";
import type { NotificationDatabase, NotificationTable } from "./store.js";
import { TEMPLATES } from "./templates.js";

type Operations = notificationApi.operations;

const DEFAULT_PAGE_SIZE = 20;

const isNotificationPosition = (value: Record<string, unknown>): value is { id: string } =>
  typeof value.id === "string" && value.id.startsWith("ntf_");
const isTemplatePosition = (value: Record<string, unknown>): value is { key: string } => typeof value.key === "string";

/** The notification audit and the templates: the read side of contracts/openapi/notification.yaml. */
export function createNotificationReads(runtime: ContextRuntime<NotificationDatabase>) {
  const { db } = runtime;

  /** Each row with its attempts, oldest first, in one query. */
  const withAttempts = async (rows: readonly NotificationTable[]) => {
    const ids = rows.map((row) => row.notification_id);
    const attempts =
      ids.length === 0
        ? []
        : await db
            .selectFrom("notification_attempts")
            .selectAll()
            .where("notification_id", "in", ids)
            .orderBy("notification_id")
            .orderBy("attempt_number")
            .execute();
    return rows.map((row) =>
      toNotification(
        row,
        attempts.filter((attempt) => attempt.notification_id === row.notification_id),
      ),
    );
  };

  /** A notification the caller may see: an admin any, a customer their own (others are not found). */
  const visible = async (notificationId: string, principal: Principal | undefined) => {
    const caller = signedIn(principal);
    const row = await db
      .selectFrom("notifications")
      .selectAll()
      .where("notification_id", "=", notificationId)
      .executeTakeFirst();
    if (!row || (caller.role !== "admin" && row.customer_id !== caller.customerId))
      throw fail.notFound(`notification ${notificationId}`);
    return row;
  };

  const listNotifications: OperationHandler<Operations["listNotifications"]> = async ({ query, principal }) => {
    requireAdmin(principal, "Auditing notifications");
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const filters = { customerId: query.customerId, status: query.status, channel: query.channel };
    let select = db
      .selectFrom("notifications")
      .selectAll()
      .orderBy("notification_id", "desc")
      .limit(limit + 1);
    if (query.customerId) select = select.where("customer_id", "=", query.customerId);
    if (query.status) select = select.where("status", "=", query.status);
    if (query.channel) select = select.where("channel", "=", query.channel);
    const after = decodeQueryCursor(query.cursor, filters, isNotificationPosition);
    if (after) select = select.where("notification_id", "<", after.id);
    const page = pageOf(await select.execute(), {
      limit,
      filters,
      positionOf: (row) => ({ id: row.notification_id }),
    });
    return { status: 200, body: { ...page, items: await withAttempts(page.items) } };
  };

  const getNotification: OperationHandler<Operations["getNotification"]> = async ({ path, principal }) => {
    const [notification] = await withAttempts([await visible(path.notificationId, principal)]);
    return { status: 200, body: notification! };
  };

  const listNotificationTemplates: OperationHandler<Operations["listNotificationTemplates"]> = async ({
    query,
    principal,
  }) => {
    signedIn(principal);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const filters = { channel: query.channel };
    const after = decodeQueryCursor(query.cursor, filters, isTemplatePosition);
    const rows = [...TEMPLATES]
      .filter((template) => !query.channel || template.channels.includes(query.channel))
      .sort((a, b) => a.templateKey.localeCompare(b.templateKey))
      .filter((template) => !after || template.templateKey > after.key)
      .slice(0, limit + 1);
    return { status: 200, body: pageOf(rows, { limit, filters, positionOf: (row) => ({ key: row.templateKey }) }) };
  };

  return { listNotifications, getNotification, listNotificationTemplates };
}
