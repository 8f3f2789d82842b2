import type { customerApi } from "@ecom/sdk";

type Schemas = customerApi.components["schemas"];
/** A customer's preferences as the contract shapes them. */
export type Preferences = Schemas["Preferences"];
/** The profile fields a customer may change. */
export interface EditableProfile {
  readonly firstName: string;
  readonly lastName: string;
  readonly phone?: string;
  readonly preferences: Preferences;
}
/** A field the profile_updated event may name as changed. */
export type ChangedField =
  | "firstName"
  | "lastName"
  | "phone"
  | "preferences.language"
  | "preferences.currency"
  | "preferences.marketing";

/** The preferences of a customer who registers without any: English, US dollars, no marketing. */
export const DEFAULT_PREFERENCES: Preferences = {
  language: "en",
  currency: "USD",
  marketing: { email: false, sms: false },
};

/** Merge a preferences patch: fields left out, in `marketing` too, keep their value. */
export function mergePreferences(current: Preferences, patch: Schemas["PreferencesPatch"] | undefined): Preferences {
  if (!patch) return current;
  return {
    language: patch.language ?? current.language,
    currency: patch.currency ?? current.currency,
    marketing: {
      email: patch.marketing?.email ?? current.marketing.email,
      sms: patch.marketing?.sms ?? current.marketing.sms,
    },
  };
}

/**
 * Apply a merge-patch to a profile and name the fields whose value changed, in the event's vocabulary. A patch that
 * repeats the current values changes nothing, and the caller then publishes nothing.
 */
export function applyProfilePatch(
  current: EditableProfile,
  patch: Schemas["UpdateProfileRequest"],
): { readonly profile: EditableProfile; readonly changedFields: ChangedField[] } {
  const preferences = mergePreferences(current.preferences, patch.preferences);
  const phone = patch.phone ?? current.phone;
  const profile: EditableProfile = {
    firstName: patch.firstName ?? current.firstName,
    lastName: patch.lastName ?? current.lastName,
    ...(phone === undefined ? {} : { phone }),
    preferences,
  };
  const changedFields: ChangedField[] = [];
  if (profile.firstName !== current.firstName) changedFields.push("firstName");
  if (profile.lastName !== current.lastName) changedFields.push("lastName");
  if (profile.phone !== current.phone) changedFields.push("phone");
  if (preferences.language !== current.preferences.language) changedFields.push("preferences.language");
  if (preferences.currency !== current.preferences.currency) changedFields.push("preferences.currency");
  if (
    preferences.marketing.email !== current.preferences.marketing.email ||
    preferences.marketing.sms !== current.preferences.marketing.sms
  ) {
    changedFields.push("preferences.marketing");
  }
  return { profile, changedFields };
}
