import { describe, expect, it } from "vitest";
import { applyProfilePatch, DEFAULT_PREFERENCES, type EditableProfile, mergePreferences } from "./profile-patch.js";

const ada: EditableProfile = {
  firstName: "Ada",
  lastName: "Lovelace",
  phone: "+442079460000",
  preferences: { language: "en", currency: "GBP", marketing: { email: true, sms: false } },
};

describe("a profile merge-patch", () => {
  it.each([
    ["a new first name", { patch: { firstName: "Augusta" }, want: ["firstName"] }],
    ["the same first name", { patch: { firstName: "Ada" }, want: [] }],
    ["a new phone", { patch: { phone: "+442079460001" }, want: ["phone"] }],
    [
      "one marketing channel",
      { patch: { preferences: { marketing: { sms: true } } }, want: ["preferences.marketing"] },
    ],
    ["the same marketing choice", { patch: { preferences: { marketing: { email: true } } }, want: [] }],
    [
      "language and currency",
      {
        patch: { preferences: { language: "fr", currency: "EUR" } },
        want: ["preferences.language", "preferences.currency"],
      },
    ],
    [
      "every field",
      {
        patch: {
          firstName: "A",
          lastName: "K",
          phone: "+15555550100",
          preferences: { language: "de", currency: "EUR", marketing: { email: false } },
        },
        want: [
          "firstName",
          "lastName",
          "phone",
          "preferences.language",
          "preferences.currency",
          "preferences.marketing",
        ],
      },
    ],
  ] as const)("names what changed: %s", (_name, { patch, want }) => {
    expect(applyProfilePatch(ada, patch).changedFields).toEqual(want);
  });

  it("keeps the fields a patch leaves out, inside marketing too", () => {
    const { profile } = applyProfilePatch(ada, { preferences: { marketing: { sms: true } } });
    expect(profile).toEqual({ ...ada, preferences: { ...ada.preferences, marketing: { email: true, sms: true } } });
  });

  it("gives a phone to a profile that had none", () => {
    const { phone: _phone, ...withoutPhone } = ada;
    expect(applyProfilePatch(withoutPhone, { phone: "+15555550100" })).toMatchObject({
      profile: { phone: "+15555550100" },
      changedFields: ["phone"],
    });
  });
});

describe("registration preferences", () => {
  it("default to English, US dollars and no marketing, and take what is given", () => {
    expect(mergePreferences(DEFAULT_PREFERENCES, undefined)).toEqual(DEFAULT_PREFERENCES);
    expect(mergePreferences(DEFAULT_PREFERENCES, { currency: "GBP", marketing: { email: true } })).toEqual({
      language: "en",
      currency: "GBP",
      marketing: { email: true, sms: false },
    });
  });
});
