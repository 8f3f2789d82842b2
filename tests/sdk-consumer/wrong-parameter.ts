// Must not compile: a cart id is a string, not a number.
import { createClient } from "@ecom/sdk";

const client = createClient({ baseUrl: "http://ecom.test" });
await client.cart.getCart({ params: { path: { cartId: 42 } } });
