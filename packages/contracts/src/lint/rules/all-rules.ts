import type { LintRule } from "../lint-rule.js";
import { adminDeclaredRule, restAccessRule, restRpcAgreeRule, rpcAccessRule } from "./access-rules.js";
import { asyncapiEnvelope } from "./asyncapi-envelope.js";
import { asyncapiParse } from "./asyncapi-parse.js";
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
import { exampleMatchesSchema, examplePresent } from "./examples.js";
import { graphqlFieldNaming, graphqlListBounded, graphqlOperationsValid, graphqlSchemaValid } from "./graphql-rules.js";
import { mqttExample, mqttFeedChannel } from "./mqtt-rules.js";
import { eventTypeNaming, operationIdUnique, protoPackageNaming } from "./naming-rules.js";
import {
  correlationIdHeader,
  idempotencyKeyHeader,
  listPaginated,
  mutationRequiresAuth,
  problemResponses,
} from "./openapi-rules.js";
import { openapiValid } from "./openapi-valid.js";
import { protoBufConfig } from "./proto-buf-config.js";
import { protoBufLint } from "./proto-buf-lint.js";
import { refResolves } from "./ref-resolves.js";
import { moneyMinorUnits } from "./schema-money.js";
import { soapCalledOperations, soapReferencesResolve, soapWsdlValid } from "./soap-rules.js";

/** Every rule of `ecom contracts lint`, in the order the README's table lists them. */
export const lintRules: readonly LintRule[] = [
  asyncapiParse,
  asyncapiEnvelope,
  openapiValid,
  mutationRequiresAuth,
  listPaginated,
  problemResponses,
  idempotencyKeyHeader,
  correlationIdHeader,
  protoBufLint,
  protoBufConfig,
  graphqlSchemaValid,
  graphqlFieldNaming,
  graphqlListBounded,
  graphqlOperationsValid,
  mqttFeedChannel,
  mqttExample,
  soapWsdlValid,
  soapReferencesResolve,
  soapCalledOperations,
  refResolves,
  exampleMatchesSchema,
  examplePresent,
  moneyMinorUnits,
  contextMapValid,
  knownContext,
  eventOneProducer,
  eventProducerDeclared,
  commandOneHandler,
  commandHandlerDeclared,
  subscriptionExists,
  sentCommandExists,
  rpcExists,
  callAllowed,
  noCycle,
  forbiddenDependency,
  entityOneOwner,
  readModelOwnsNoFacts,
  projectionBuiltFromKnownEvents,
  eventTypeNaming,
  operationIdUnique,
  protoPackageNaming,
  rpcAccessRule,
  restAccessRule,
  adminDeclaredRule,
  restRpcAgreeRule,
];
