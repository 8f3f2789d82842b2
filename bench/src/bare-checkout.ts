import Database from "better-sqlite3";

/**
 * The limit for a checkout: what SQLite itself does for one, with nothing around it. A checkout keeps a cart and
 * its item, a checkout, a reservation, a payment, an order, its item and one event (8 inserts), and changes the
 * stock level, the cart and the order (3 updates), in one transaction of statements prepared once, with the
 * simulator's settings (WAL, synchronous NORMAL).
 */
export function openBareCheckout(file: string): { run(index: number): void; close(): void } {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`
    create table carts (cart_id text primary key, customer_id text not null, status text not null, currency text not null, created_at text not null, updated_at text not null);
    create table cart_items (item_id text primary key, cart_id text not null references carts, product_id text not null, quantity integer not null, unit_price integer not null);
    create table checkouts (checkout_id text primary key, cart_id text not null, customer_id text not null, state text not null, items_json text not null, version integer not null, created_at text not null);
    create table reservations (reservation_id text primary key, checkout_id text not null unique, lines_json text not null, status text not null, expires_at text not null);
    create table payments (payment_id text primary key, checkout_id text not null, amount integer not null, currency text not null, status text not null, created_at text not null);
    create table orders (order_id text primary key, checkout_id text not null unique, customer_id text not null, status text not null, total integer not null, address_json text not null, created_at text not null, paid_at text);
    create table order_items (order_id text not null, position integer not null, product_id text not null, title text not null, quantity integer not null, unit_price integer not null, primary key (order_id, position));
    create table events (seq integer primary key autoincrement, event_id text not null unique, envelope text not null);
    create table stock_levels (product_id text primary key, on_hand integer not null, reserved integer not null);
    insert into stock_levels values ('prd_1', 1000000000, 0);
  `);
  const statements = [
    db.prepare("insert into carts values (?, 'cus_1', 'OPEN', 'USD', ?, ?)"),
    db.prepare("insert into cart_items values (?, ?, 'prd_1', 1, 1999)"),
    db.prepare("insert into checkouts values (?, ?, 'cus_1', 'RESERVING', ?, 1, ?)"),
    db.prepare("insert into reservations values (?, ?, ?, 'HELD', ?)"),
    db.prepare("insert into payments values (?, ?, 1999, 'USD', 'AUTHORIZED', ?)"),
    db.prepare("insert into orders values (?, ?, 'cus_1', 'PENDING', 1999, ?, ?, null)"),
    db.prepare("insert into order_items values (?, 1, 'prd_1', 'A book', 1, 1999)"),
    db.prepare("insert into events (event_id, envelope) values (?, ?)"),
  ];
  const [cart, item, checkout, reservation, payment, order, orderItem, event] = statements;
  const stock = db.prepare("update stock_levels set reserved = reserved + 1 where product_id = 'prd_1'");
  const cartDone = db.prepare("update carts set status = 'CHECKED_OUT', updated_at = ? where cart_id = ?");
  const paid = db.prepare("update orders set status = 'PAID', paid_at = ? where order_id = ?");
  const address = JSON.stringify({ line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" });
  const lines = JSON.stringify([{ productId: "prd_1", quantity: 1, unitPrice: 1999 }]);
  const envelope = (id: string) =>
    JSON.stringify({
      eventId: id,
      eventType: "ecommerce.order.order.paid.v1",
      payload: { lines, address },
      pad: "x".repeat(600),
    });
  const transaction = db.transaction((index: number) => {
    const now = new Date(1_767_225_600_000 + index).toISOString();
    const id = (prefix: string) => `${prefix}_${index.toString().padStart(26, "0")}`;
    cart!.run(id("crt"), now, now);
    item!.run(id("itm"), id("crt"));
    checkout!.run(id("chk"), id("crt"), lines, now);
    reservation!.run(id("res"), id("chk"), lines, now);
    payment!.run(id("pay"), id("chk"), now);
    order!.run(id("ord"), id("chk"), address, now);
    orderItem!.run(id("ord"));
    event!.run(id("evt"), envelope(id("evt")));
    stock.run();
    cartDone.run(now, id("crt"));
    paid.run(now, id("ord"));
  });
  return { run: (index) => transaction(index), close: () => db.close() };
}
