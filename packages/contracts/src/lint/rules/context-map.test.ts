import { describe, it } from "vitest";
import {
  edit,
  expectFindings,
  type Files,
  lineOf,
  lintFiles,
  minimal,
  type Want,
  without,
} from "../__fixtures__/lint-fixture.js";
import type { LintRule } from "../lint-rule.js";
import { callAllowed, forbiddenDependency, noCycle, rpcExists } from "./context-map-dependencies.js";
import {
  commandHandlerDeclared,
  commandOneHandler,
  eventOneProducer,
  eventProducerDeclared,
  sentCommandExists,
  subscriptionExists,
} from "./context-map-messaging.js";
import { entityOneOwner, projectionBuiltFromKnownEvents, readModelOwnsNoFacts } from "./context-map-ownership.js";
import { contextMapValid, knownContext } from "./context-map-valid.js";

type Case = [string, { given: Files; want: Want[] }];

const map = "contexts.yaml";

/** A finding expected in `file` at the line of `needle` (after `after`) in the case's files. */
const at = (given: Files, needle: string, options: { after?: string; file?: string; message?: string } = {}): Want => ({
  file: options.file ?? map,
  line: lineOf(given, options.file ?? map, needle, options.after),
  ...(options.message !== undefined ? { message: options.message } : {}),
});

/** One table per rule: the minimal fixture passes; each broken variant is caught where it is broken. */
const table: [LintRule, Case[]][] = [];

{
  const missingField = edit(minimal, map, "  analytics:\n    team: data-platform\n", "  analytics:\n");
  const badKind = edit(minimal, map, "product: { kind: fact }", "product: { kind: fakt }");
  const sharedStore = edit(minimal, map, "store: analytics", "store: cart");
  const unknownField = edit(
    minimal,
    map,
    "    team: shopping-platform\n",
    "    team: shopping-platform\n    owner: bob\n",
  );
  table.push([
    contextMapValid,
    [
      ["a complete context map passes", { given: minimal, want: [] }],
      ["a missing contexts.yaml", { given: without(minimal, map), want: [{ file: map, line: 1 }] }],
      [
        "a context without a team",
        { given: missingField, want: [at(missingField, "  analytics:", { message: "`team`" })] },
      ],
      ["an entity kind that is neither fact nor projection", { given: badKind, want: [at(badKind, "kind: fakt")] }],
      [
        "a field the map does not define",
        { given: unknownField, want: [at(unknownField, "owner: bob", { message: "owner" })] },
      ],
      [
        "two contexts sharing a store",
        { given: sharedStore, want: [at(sharedStore, "store: cart", { after: "  analytics:" })] },
      ],
    ],
  ]);
}

{
  const unknownTarget = edit(minimal, map, "dependsOn: [catalog]", "dependsOn: [catalgo]");
  const unknownForbidden = edit(minimal, map, "from: analytics", "from: analytic");
  const strayFile = { ...minimal, "openapi/carts.yaml": minimal["openapi/cart.yaml"]! };
  table.push([
    knownContext,
    [
      ["known contexts pass", { given: minimal, want: [] }],
      ["a dependsOn naming no context", { given: unknownTarget, want: [at(unknownTarget, "catalgo")] }],
      [
        "a forbidden edge naming no context",
        { given: unknownForbidden, want: [at(unknownForbidden, "from: analytic")] },
      ],
      ["a contract file named for no context", { given: strayFile, want: [{ file: "openapi/carts.yaml", line: 1 }] }],
    ],
  ]);
}

{
  const twoProducers = edit(
    minimal,
    map,
    "    publishes: []\n",
    "    publishes: [ecommerce.cart.cart.checked_out.v1]\n",
  );
  table.push([
    eventOneProducer,
    [
      ["one producer per event passes", { given: minimal, want: [] }],
      [
        "a second producer of an event",
        {
          given: twoProducers,
          want: [
            at(twoProducers, "- ecommerce.cart.cart.checked_out.v1", { message: "published by cart and analytics" }),
            at(twoProducers, "publishes: [ecommerce.cart.cart.checked_out.v1]"),
          ],
        },
      ],
    ],
  ]);
}

{
  const undeclaredPublish = edit(
    minimal,
    map,
    "      - ecommerce.catalog.product.created.v1\n",
    "      - ecommerce.catalog.product.created.v1\n      - ecommerce.catalog.product.updated.v1\n",
  );
  const unlistedSend = edit(
    minimal,
    map,
    "    publishes:\n      - ecommerce.catalog.product.created.v1\n",
    "    publishes: []\n",
  );
  const noDocument = without(minimal, "asyncapi/catalog.yaml");
  table.push([
    eventProducerDeclared,
    [
      ["send operations and publishes agree", { given: minimal, want: [] }],
      [
        "a published event without a send operation",
        { given: undeclaredPublish, want: [at(undeclaredPublish, "ecommerce.catalog.product.updated.v1")] },
      ],
      [
        "a send operation for an event the context does not publish",
        {
          given: unlistedSend,
          want: [
            at(unlistedSend, "  publishProductCreated:", {
              file: "asyncapi/catalog.yaml",
              message: "contexts.catalog.publishes",
            }),
          ],
        },
      ],
      [
        "a publishing context without an AsyncAPI document",
        {
          given: noDocument,
          want: [
            at(noDocument, "- ecommerce.catalog.product.created.v1", { message: "there is no asyncapi/catalog.yaml" }),
          ],
        },
      ],
    ],
  ]);
}

{
  const twoHandlers = edit(minimal, map, "    handles: []\n", "    handles: [ecommerce.cart.cart.expire.v1]\n");
  table.push([
    commandOneHandler,
    [
      ["one handler per command passes", { given: minimal, want: [] }],
      [
        "a second handler of a command",
        {
          given: twoHandlers,
          want: [
            at(twoHandlers, "handles: [ecommerce.cart.cart.expire.v1]"),
            at(twoHandlers, "- ecommerce.cart.cart.expire.v1", { after: "  cart:" }),
          ],
        },
      ],
    ],
  ]);
}

{
  const noReceive = edit(minimal, "asyncapi/cart.yaml", "action: receive", "action: send");
  const unlistedReceive = edit(
    minimal,
    map,
    "    handles:\n      - ecommerce.cart.cart.expire.v1\n",
    "    handles: []\n",
  );
  table.push([
    commandHandlerDeclared,
    [
      ["receive operations and handles agree", { given: minimal, want: [] }],
      [
        "a handled command without a receive operation",
        { given: noReceive, want: [at(noReceive, "- ecommerce.cart.cart.expire.v1", { after: "  cart:" })] },
      ],
      [
        "a receive operation for a command the context does not handle",
        { given: unlistedReceive, want: [at(unlistedReceive, "  handleCartExpire:", { file: "asyncapi/cart.yaml" })] },
      ],
    ],
  ]);
}

{
  const unknownEvent = edit(
    minimal,
    map,
    "- ecommerce.catalog.product.created.v1",
    "- ecommerce.catalog.product.deleted.v1",
    "  cart:",
  );
  table.push([
    subscriptionExists,
    [
      ["subscriptions to published events pass", { given: minimal, want: [] }],
      [
        "a subscription to an event nobody publishes",
        { given: unknownEvent, want: [at(unknownEvent, "product.deleted.v1")] },
      ],
    ],
  ]);
}

{
  const unhandled = edit(
    minimal,
    map,
    "    sends:\n      - ecommerce.cart.cart.expire.v1",
    "    sends:\n      - ecommerce.cart.cart.expired.v1",
  );
  table.push([
    sentCommandExists,
    [
      ["sent commands that are handled pass", { given: minimal, want: [] }],
      ["a sent command nobody handles", { given: unhandled, want: [at(unhandled, "ecommerce.cart.cart.expired.v1")] }],
    ],
  ]);
}

{
  const missingService = edit(
    minimal,
    map,
    "rpc: [ecom.catalog.v1.CatalogService]",
    "rpc: [ecom.catalog.v1.ProductService]",
  );
  const wrongContext = edit(
    edit(minimal, map, "rpc: [ecom.catalog.v1.CatalogService]", "rpc: []"),
    map,
    "    rpc: []\n    dependsOn: [catalog]",
    "    rpc: [ecom.catalog.v1.CatalogService]\n    dependsOn: [catalog]",
  );
  table.push([
    rpcExists,
    [
      ["served services that exist pass", { given: minimal, want: [] }],
      [
        "a served service no proto declares (and a declared one nobody serves)",
        {
          given: missingService,
          want: [
            at(missingService, "ProductService", { message: "no proto file declares" }),
            at(missingService, "service CatalogService", {
              file: "proto/ecom/catalog/v1/catalog.proto",
              message: "served by no context",
            }),
          ],
        },
      ],
      [
        "a service served by a context other than its package's",
        {
          given: wrongContext,
          want: [at(wrongContext, "rpc: [ecom.catalog.v1.CatalogService]", { message: "is not ecom.cart.v<N>" })],
        },
      ],
    ],
  ]);
}

{
  // After `calls:`, since the catalog's rpcAccess names the same method earlier in the file.
  const missingMethod = edit(minimal, map, "CatalogService/GetProduct", "CatalogService/GetProducts", "calls:\n");
  const notDependedOn = edit(minimal, map, "dependsOn: [catalog]", "dependsOn: []");
  const malformed = edit(minimal, map, "- ecom.catalog.v1.CatalogService/GetProduct", "- CatalogService.GetProduct");
  const unserved = edit(
    minimal,
    map,
    "ecom.catalog.v1.CatalogService/GetProduct",
    "ecom.catalog.v1.PriceService/GetPrice",
    "calls:\n",
  );
  table.push([
    callAllowed,
    [
      ["calls into a dependency's existing methods pass", { given: minimal, want: [] }],
      [
        "a call to a method the service lacks",
        { given: missingMethod, want: [at(missingMethod, "GetProducts", { message: "has no method GetProducts" })] },
      ],
      [
        "a call to a context not in dependsOn",
        {
          given: notDependedOn,
          want: [
            at(notDependedOn, "CatalogService/GetProduct", {
              after: "calls:\n",
              message: "not in contexts.cart.dependsOn",
            }),
          ],
        },
      ],
      [
        "a call that is not package.Service/Method",
        { given: malformed, want: [at(malformed, "CatalogService.GetProduct")] },
      ],
      ["a call to a service no context serves", { given: unserved, want: [at(unserved, "PriceService/GetPrice")] }],
    ],
  ]);
}

{
  const cycle = edit(minimal, map, "dependsOn: []", "dependsOn: [cart]");
  const selfLoop = edit(minimal, map, "dependsOn: [catalog]", "dependsOn: [catalog, cart]");
  table.push([
    noCycle,
    [
      ["an acyclic map passes", { given: minimal, want: [] }],
      [
        "a call cycle between two contexts",
        { given: cycle, want: [at(cycle, "dependsOn: [cart]", { message: "cart → catalog → cart" })] },
      ],
      [
        "a context depending on itself",
        { given: selfLoop, want: [at(selfLoop, "dependsOn: [catalog, cart]", { message: "cart → cart" })] },
      ],
    ],
  ]);
}

{
  const forbidden = edit(minimal, map, "dependsOn: []", "dependsOn: [catalog]", "  analytics:");
  table.push([
    forbiddenDependency,
    [
      ["allowed edges pass", { given: minimal, want: [] }],
      [
        "an edge from a context forbidden to depend on anything",
        {
          given: forbidden,
          want: [
            at(forbidden, "dependsOn: [catalog]", { after: "  analytics:", message: "rebuilt from events alone" }),
          ],
        },
      ],
    ],
  ]);
}

{
  const twoOwners = edit(
    minimal,
    map,
    "      cart: { kind: fact }\n",
    "      cart: { kind: fact }\n      product: { kind: fact }\n",
  );
  table.push([
    entityOneOwner,
    [
      ["one owner per fact passes", { given: minimal, want: [] }],
      [
        "a fact owned by two contexts",
        {
          given: twoOwners,
          want: [
            at(twoOwners, "product: { kind: fact }"),
            at(twoOwners, "product: { kind: fact }", { after: "  cart:" }),
          ],
        },
      ],
    ],
  ]);
}

{
  const fact = edit(minimal, map, "      daily_revenue:", "      revenue_entry: { kind: fact }\n      daily_revenue:");
  table.push([
    readModelOwnsNoFacts,
    [
      ["a read model of projections passes", { given: minimal, want: [] }],
      ["a read model owning a fact", { given: fact, want: [at(fact, "revenue_entry")] }],
    ],
  ]);
}

{
  const unsubscribed = edit(
    minimal,
    map,
    "    subscribes:\n      - ecommerce.cart.cart.checked_out.v1\n",
    "    subscribes: []\n",
  );
  const unknown = edit(
    minimal,
    map,
    "builtFrom: [ecommerce.catalog.product.created.v1]",
    "builtFrom: [ecommerce.catalog.product.removed.v1]",
  );
  const empty = edit(
    minimal,
    map,
    "product_price: { kind: projection, builtFrom: [ecommerce.catalog.product.created.v1] }",
    "product_price: { kind: projection }",
  );
  const ownEvents = edit(
    minimal,
    map,
    "      cart: { kind: fact }\n",
    "      cart: { kind: fact }\n      checkout_stats: { kind: projection, builtFrom: [ecommerce.cart.cart.checked_out.v1] }\n",
  );
  table.push([
    projectionBuiltFromKnownEvents,
    [
      ["projections of subscribed events pass", { given: minimal, want: [] }],
      ["a projection of the context's own events passes", { given: ownEvents, want: [] }],
      [
        "a projection of an event the context does not subscribe to",
        {
          given: unsubscribed,
          want: [at(unsubscribed, "daily_revenue", { message: "add it to contexts.analytics.subscribes" })],
        },
      ],
      ["a projection of an event nobody publishes", { given: unknown, want: [at(unknown, "product.removed.v1")] }],
      ["a projection that names no events", { given: empty, want: [at(empty, "product_price:")] }],
    ],
  ]);
}

describe.each(table)("$id", (rule, cases) => {
  it.each(cases)("%s", async (_name, { given, want }) => {
    expectFindings(await lintFiles(rule, given), want);
  });
});
