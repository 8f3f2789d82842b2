/** @ecom/console: the browser console the simulator serves at `/`, and the joined contracts it is built on. */
export {
  type ConsoleRequest,
  type ConsoleResponse,
  type ConsoleRoutesOptions,
  createConsoleRoutes,
  type DevTokens,
  readContextGraph,
} from "./console-routes.js";
export { joinAsyncApi, joinOpenApi } from "./joined-contracts.js";
