/** The ports and shapes every context is written against; the runtime that provides them lives in @ecom/simulator. */
export { requireAdmin, signedIn } from "./caller.js";
export {
  type CompiledQueryRunner,
  type CompiledStatement,
  compileQuery,
  type NoParams,
  type Param,
} from "./compiled-query.js";
export {
  type AnyContextModule,
  type BreakerStatus,
  type ContextModule,
  type ContextParts,
  defineContext,
  type EventStreamSource,
  type GraphqlPart,
  type GraphqlResolver,
  type GraphqlResolvers,
  type MessageHandler,
  type OperationHandler,
  type RestHandlers,
  type RestRequest,
  type RestResult,
  type SimulatedEndpoint,
  type SocketConnection,
  type SocketSource,
} from "./context-module.js";
export {
  dialectOf,
  greatestOf,
  isUniqueViolation,
  lockForTransaction,
  type SqlDialect,
  stringAgg,
} from "./dialect.js";
export {
  hasRedactedFields,
  REDACTED_FIELDS,
  redactEnvelopeText,
  redactedValue,
  redactMessage,
} from "./event-redaction.js";
export type { FeedHandler, FeedMessage, FeedOutcome } from "./inbound-feed.js";
export {
  type CursorFilters,
  type CursorPosition,
  decodeCursor,
  decodeQueryCursor,
  encodeCursor,
  type Page,
  type PositionGuard,
  pageOf,
} from "./page-cursor.js";
export type {
  AfterCommitHook,
  Clock,
  ContextMetrics,
  ContextRuntime,
  ContextSpanOptions,
  ContextTracing,
  FaultSwitches,
  Ids,
  Logger,
  Outbox,
  Principal,
  PublishOptions,
  Sleep,
  TokenService,
} from "./ports.js";
export { noFaults } from "./ports.js";
export {
  type AnyProjection,
  composeSubscriber,
  defineProjection,
  type Projection,
  projectedTypes,
  projectionStatement,
} from "./projection.js";
export { pageQueryOf, protoPageOf } from "./proto-page.js";
export {
  contractTimeOf,
  enumNames,
  ifGiven,
  protoAddressOf,
  protoMoneyOf,
  protoTimeIfAny,
  protoTimeOf,
} from "./proto-values.js";
export { type Caller, callerKey, principalOf } from "./rpc-caller.js";
export { serviceErrorsAsConnect, toConnectError } from "./rpc-errors.js";
export { answerWithOperation, type OperationRef } from "./rpc-operation.js";
export {
  CONNECT_CODE,
  ERROR_WIRE,
  fail,
  HTTP_STATUS,
  isServiceError,
  ServiceError,
  ServiceErrorCode,
  TITLES,
} from "./service-error.js";
