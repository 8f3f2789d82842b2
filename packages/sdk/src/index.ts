/**
 * @ecom/sdk: typed clients, event types and validators, webhook verification for the ecom platform.
 *
 * Symbols here are for integrators. Generated code's runtime lives apart in `@ecom/sdk/runtime/v1`; MSW handlers
 * in `@ecom/sdk/msw`; protobuf messages and Connect service descriptors in `@ecom/sdk/rpc`.
 */
export { type ClientOptions, createClient, type EcomClient } from "./client.js";
export { type EcomCloudEvent, fromCloudEvent, toCloudEvent } from "./cloudevents.js";
export { isSdkError, type Result, SdkError, SdkErrorCode } from "./errors.js";
export { isEventOfType, isMessageType, type ParseEventOptions, parseEvent, validatePayload } from "./events.js";
export * from "./gen/events.js";
export * as graphql from "./gen/graphql/index.js";
export { messageRegistry } from "./gen/registry.js";
export type * from "./gen/rest/index.js";
export { createRpcClients, type RpcClients } from "./gen/rpc.js";
export * as soap from "./gen/soap/index.js";
export {
  createGraphqlClient,
  type GraphqlClient,
  type GraphqlClientOptions,
  type GraphqlError,
} from "./graphql-client.js";
export { createResilientFetch, type ResilientFetchOptions, type RetryOptions } from "./resilient-fetch.js";
export {
  DEFAULT_TOLERANCE_SECONDS,
  type HeadersLike,
  signWebhook,
  type VerifiedWebhook,
  verifyWebhook,
  WEBHOOK_HEADERS,
} from "./webhooks.js";
