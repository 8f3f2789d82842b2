import { describe, expect, it } from "vitest";
import { parseBackends } from "./backend-options.js";

const STORE = "postgres://postgres@127.0.0.1:5432/shop";
const BUS = "nats://127.0.0.1:4222";

describe("sim up's --store and --bus", () => {
  it.each([
    ["neither: the embedded default", { options: {}, env: {} }, undefined],
    ["both flags", { options: { store: STORE, bus: BUS }, env: {} }, { storeUrl: STORE, busUrl: BUS }],
    [
      "both variables, and a namespace",
      { options: {}, env: { ECOM_STORE_URL: STORE, ECOM_BUS_URL: BUS, ECOM_NAMESPACE: "team_a" } },
      { storeUrl: STORE, busUrl: BUS, namespace: "team_a" },
    ],
    [
      "a flag over its variable",
      { options: { store: STORE }, env: { ECOM_STORE_URL: "postgres://elsewhere/db", ECOM_BUS_URL: BUS } },
      { storeUrl: STORE, busUrl: BUS },
    ],
    [
      "--memory over both variables",
      { options: { memory: true }, env: { ECOM_STORE_URL: STORE, ECOM_BUS_URL: BUS } },
      undefined,
    ],
  ])("takes %s", (_name, { options, env }, want) => {
    expect(parseBackends(options, env)).toEqual(want);
  });

  it.each([
    ["--store alone, naming --bus", { store: STORE }, {}, /^--store needs --bus nats:\/\/host:port/],
    ["--bus alone, naming --store", { bus: BUS }, {}, /^--bus needs --store postgres:\/\//],
    ["ECOM_STORE_URL alone", {}, { ECOM_STORE_URL: STORE }, /^--store needs --bus/],
    ["a store URL that is not PostgreSQL's", { store: "mysql://x/y", bus: BUS }, {}, /^--store takes a postgres:\/\//],
    ["a bus URL that is not NATS'", { store: STORE, bus: "http://x" }, {}, /^--bus takes a nats:\/\//],
    [
      "a store URL that is not PostgreSQL's, without its password",
      { store: "mysql://app:s3cret@x/y", bus: BUS },
      {},
      /^--store takes a postgres:\/\/user@host:port\/database URL, not mysql:\/\/x\/y$/,
    ],
    ["a bus URL that is not NATS', without its token", { store: STORE, bus: "tls://t0ken@x" }, {}, /not tls:\/\/x$/],
    ["a namespace NATS cannot name", { store: STORE, bus: BUS, namespace: "Team.A" }, {}, /^--namespace takes/],
    ["--namespace without them", { namespace: "a" }, {}, /^--namespace needs --store and --bus$/],
    ["--memory with --store", { memory: true, store: STORE, bus: BUS }, {}, /^--memory keeps nothing and --store/],
    ["--seed with them", { store: STORE, bus: BUS, seed: "42" }, {}, /^--seed works with --data or --memory only/],
  ])("refuses %s in one line", (_name, options, env, message) => {
    expect(() => parseBackends(options, env)).toThrow(message);
    try {
      parseBackends(options, env);
    } catch (error) {
      expect((error as Error).message).not.toContain("\n");
    }
  });
});
