import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { catalogV1 } from "@ecom/sdk/rpc";
import { describe, expect, it } from "vitest";
import { serviceErrorsAsConnect } from "./rpc-errors.js";
import { CONNECT_CODE, HTTP_STATUS, ServiceError, type ServiceErrorCode } from "./service-error.js";

// The wire meaning of every stable code, written out: a change here changes what clients branch on over HTTP and
// over Connect, so it must be a deliberate edit of this table and of the table under test.
const WIRE: readonly [ServiceErrorCode, { readonly status: number; readonly connect: Code }][] = [
  ["validation", { status: 400, connect: Code.InvalidArgument }],
  ["unauthenticated", { status: 401, connect: Code.Unauthenticated }],
  ["forbidden", { status: 403, connect: Code.PermissionDenied }],
  ["not_found", { status: 404, connect: Code.NotFound }],
  ["method_not_allowed", { status: 405, connect: Code.Unimplemented }],
  ["conflict", { status: 409, connect: Code.FailedPrecondition }],
  ["payload_too_large", { status: 413, connect: Code.ResourceExhausted }],
  ["unsupported_media_type", { status: 415, connect: Code.InvalidArgument }],
  ["unprocessable", { status: 422, connect: Code.FailedPrecondition }],
  ["idempotency_key_reused", { status: 422, connect: Code.AlreadyExists }],
  ["upgrade_required", { status: 426, connect: Code.FailedPrecondition }],
  ["rate_limited", { status: 429, connect: Code.ResourceExhausted }],
  ["not_implemented", { status: 501, connect: Code.Unimplemented }],
  ["unavailable", { status: 503, connect: Code.Unavailable }],
  ["internal", { status: 500, connect: Code.Internal }],
];

/** A CatalogService whose GetProduct throws what `thrown` makes, served behind serviceErrorsAsConnect. */
function clientThrowing(thrown: () => unknown) {
  const transport = createRouterTransport(
    (router) =>
      router.rpc(catalogV1.CatalogService.method.getProduct, async () => {
        throw thrown();
      }),
    { router: { interceptors: [serviceErrorsAsConnect] } },
  );
  return createClient(catalogV1.CatalogService, transport);
}

async function failureOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("the call succeeded");
}

describe("the one ServiceError table", () => {
  it("has exactly the stable codes pinned here, no more and no fewer", () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual(WIRE.map(([code]) => code).sort());
  });

  it.each(WIRE)("maps %s to its HTTP status and Connect code", (code, want) => {
    expect(HTTP_STATUS[code]).toBe(want.status);
    expect(CONNECT_CODE[code]).toBe(want.connect);
  });

  it.each(WIRE)("answers an RPC handler's %s with its Connect code and message", async (code, want) => {
    const client = clientThrowing(() => new ServiceError(code, `the handler said ${code}`));
    const failure = await failureOf(client.getProduct(create(catalogV1.GetProductRequestSchema, {})));
    expect(failure.code).toBe(want.connect);
    expect(failure.rawMessage).toBe(`the handler said ${code}`);
  });

  it("leaves anything that is not a ServiceError to connect-es", async () => {
    const client = clientThrowing(() => new ConnectError("already a Connect error", Code.DataLoss));
    const failure = await failureOf(client.getProduct(create(catalogV1.GetProductRequestSchema, {})));
    expect(failure.code).toBe(Code.DataLoss);
  });
});
