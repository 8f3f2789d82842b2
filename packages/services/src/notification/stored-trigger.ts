import type { NotificationTable } from "./store.js";
import { TEMPLATES } from "./templates.js";

/**
 * `notifications.trigger_event_type` of a notification sent by the one event type its template names (`triggeredBy`):
 * the type is the template's, kept once, in the code (rows written before keep the type, and read either way). Most
 * notifications are such, and the type was ~35 bytes of each row. A template's `triggeredBy` is therefore part of
 * the stored form: a template whose trigger ever changes must have its rows' marks written out first.
 */
export const TEMPLATE_TRIGGER = "";

/** The one event type that sends each template by itself, by template key. */
const SOLE_TRIGGER: ReadonlyMap<string, string> = new Map(
  TEMPLATES.flatMap((template) =>
    template.triggeredBy.length === 1 ? [[template.templateKey, template.triggeredBy[0] as string] as const] : [],
  ),
);

/** What `trigger_event_type` keeps of a notification of `templateKey` sent by an event of `eventType`. */
export function storedTriggerType(templateKey: string, eventType: string): string {
  return SOLE_TRIGGER.get(templateKey) === eventType ? TEMPLATE_TRIGGER : eventType;
}

/** The event type of a notification's trigger, as its row keeps it in either form. */
export function triggerTypeOf(row: Pick<NotificationTable, "template_key" | "trigger_event_type">): string {
  if (row.trigger_event_type !== TEMPLATE_TRIGGER) return row.trigger_event_type;
  return SOLE_TRIGGER.get(row.template_key) ?? TEMPLATE_TRIGGER;
}
