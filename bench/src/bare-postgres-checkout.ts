import pg from "pg";

/**
 * The limit for a checkout on PostgreSQL: bare-checkout.ts's transaction (8 inserts + 3 updates) through `pg`, with
 * statements prepared once per connection (named queries), at READ COMMITTED (PostgreSQL's default, as the stores
 * run), `connections` transactions at once. Each connection has a stock row of its own, as each bench customer has a
 * book of its own, so none waits on another's row lock.
 */
export interface BarePostgresRun {
  /** Transactions committed per second, and the CPU of this (client) process per transaction. */
  readonly perSecond: number;
  readonly cpuMicros: number;
}

const TABLES = `
  create table carts (cart_id text primary key, customer_id text not null, status text not null, currency text not null, created_at text not null, updated_at text not null);
  create table cart_items (item_id text primary key, cart_id text not null references carts, product_id text not null, quantity integer not null, unit_price integer not null);
  create table checkouts (checkout_id text primary key, cart_id text not null, customer_id text not null, state text not null, items_json text not null, version integer not null, created_at text not null);
  create table reservations (reservation_id text primary key, checkout_id text not null unique, lines_json text not null, status text not null, expires_at text not null);
  create table payments (payment_id text primary key, checkout_id text not null, amount integer not null, currency text not null, status text not null, created_at text not null);
  create table orders (order_id text primary key, checkout_id text not null unique, customer_id text not null, status text not null, total integer not null, address_json text not null, created_at text not null, paid_at text);
  create table order_items (order_id text not null, position integer not null, product_id text not null, title text not null, quantity integer not null, unit_price integer not null, primary key (order_id, position));
  create table events (seq bigint generated always as identity primary key, event_id text not null unique, envelope text not null);
  create table stock_levels (product_id text primary key, on_hand integer not null, reserved integer not null);
`;

const STATEMENTS = {
  cart: "insert into carts values ($1, 'cus_1', 'OPEN', 'USD', $2, $2)",
  item: "insert into cart_items values ($1, $2, $3, 1, 1999)",
  checkout: "insert into checkouts values ($1, $2, 'cus_1', 'RESERVING', $3, 1, $4)",
  reservation: "insert into reservations values ($1, $2, $3, 'HELD', $4)",
  payment: "insert into payments values ($1, $2, 1999, 'USD', 'AUTHORIZED', $3)",
  order: "insert into orders values ($1, $2, 'cus_1', 'PENDING', 1999, $3, $4, null)",
  orderItem: "insert into order_items values ($1, 1, $2, 'A book', 1, 1999)",
  event: "insert into events (event_id, envelope) values ($1, $2)",
  stock: "update stock_levels set reserved = reserved + 1 where product_id = $1",
  cartDone: "update carts set status = 'CHECKED_OUT', updated_at = $1 where cart_id = $2",
  paid: "update orders set status = 'PAID', paid_at = $1 where order_id = $2",
} as const;

const address = JSON.stringify({ line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" });
const lines = JSON.stringify([{ productId: "prd_1", quantity: 1, unitPrice: 1999 }]);
const envelope = (id: string) =>
  JSON.stringify({
    eventId: id,
    eventType: "ecommerce.order.order.paid.v1",
    payload: { lines, address },
    pad: "x".repeat(600),
  });

/** One checkout's transaction on `client`, numbered `index`, on the stock row `product`. */
async function checkout(client: pg.Client, index: number, product: string): Promise<void> {
  const run = (name: keyof typeof STATEMENTS, values: unknown[]) =>
    client.query({ name, text: STATEMENTS[name], values });
  const now = new Date(1_767_225_600_000 + index).toISOString();
  const id = (prefix: string) => `${prefix}_${index.toString().padStart(26, "0")}`;
  await client.query("begin");
  try {
    await run("cart", [id("crt"), now]);
    await run("item", [id("itm"), id("crt"), product]);
    await run("checkout", [id("chk"), id("crt"), lines, now]);
    await run("reservation", [id("res"), id("chk"), lines, now]);
    await run("payment", [id("pay"), id("chk"), now]);
    await run("order", [id("ord"), id("chk"), address, now]);
    await run("orderItem", [id("ord"), product]);
    await run("event", [id("evt"), envelope(id("evt"))]);
    await run("stock", [product]);
    await run("cartDone", [now, id("crt")]);
    await run("paid", [now, id("ord")]);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}

/**
 * Make the tables in the database at `url` (empty, of this run's own), then run the transaction on `connections`
 * connections at once for about `seconds`. `synchronousCommit: false` runs them with `synchronous_commit = off`
 * (a commit no longer waits for its WAL to reach the disk), to show what the fsync of each commit costs.
 */
export async function barePostgresCheckouts(options: {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly synchronousCommit: boolean;
  /** Numbers transactions from here, so runs on the same tables never collide. */
  readonly firstIndex: number;
}): Promise<BarePostgresRun> {
  const clients: pg.Client[] = [];
  try {
    for (let index = 0; index < options.connections; index++) {
      const client = new pg.Client({ connectionString: options.url, application_name: "ecom bench bare" });
      clients.push(client);
      await client.connect();
      if (!options.synchronousCommit) await client.query("set synchronous_commit = off");
    }
    const admin = clients[0]!;
    const exists = await admin.query("select 1 from pg_tables where tablename = 'stock_levels'");
    if (exists.rowCount === 0) await admin.query(TABLES);
    await admin.query(
      "insert into stock_levels select 'prd_' || n, 1000000000, 0 from generate_series(0, $1::int - 1) n on conflict do nothing",
      [options.connections],
    );
    let next = options.firstIndex;
    // A warm-up: each connection prepares its statements.
    await Promise.all(clients.map((client, worker) => checkout(client, next++, `prd_${worker}`)));
    const cpu = process.cpuUsage();
    const started = performance.now();
    const until = started + options.seconds * 1000;
    let count = 0;
    await Promise.all(
      clients.map(async (client, worker) => {
        while (performance.now() < until) {
          await checkout(client, next++, `prd_${worker}`);
          count++;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return { perSecond: count / elapsed, cpuMicros: (used.user + used.system) / count };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}
