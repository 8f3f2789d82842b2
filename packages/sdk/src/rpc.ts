/**
 * `@ecom/sdk/rpc`: the protobuf messages and Connect service descriptors of every context (protobuf-es), and typed
 * Connect clients over any transport.
 */
export * from "./gen/rpc.js";
export { type RpcAccessRule, rpcAccess } from "./gen/rpc-access.js";
