import { h } from "./dom.js";
import { callJson } from "./platform-api.js";
import "./page-api-reference.js";
import "./page-context-map.js";
import "./page-events-reference.js";
import "./page-live-events.js";
import "./page-notifications.js";
import "./page-orders.js";
import "./page-platform.js";
import "./page-timeline.js";
import "./page-trace.js";

/** Each route's custom element; the first is the home page. */
const routes: Readonly<Record<string, string>> = {
  "/api": "ecom-api-reference",
  "/events-reference": "ecom-events-reference",
  "/map": "ecom-context-map",
  "/events": "ecom-live-events",
  "/timeline": "ecom-checkout-timeline",
  "/orders": "ecom-orders",
  "/notifications": "ecom-notifications",
  "/platform": "ecom-platform-controls",
  "/trace": "ecom-trace",
};

const view = document.getElementById("view")!;
let shown = "";

function render(): void {
  const path = (location.hash.slice(1) || "/api").split("?")[0]!;
  const route = routes[path] ? path : "/api";
  const tag = routes[route]!;
  for (const link of document.querySelectorAll("header nav a"))
    link.classList.toggle("active", link.getAttribute("href") === `#${route}`);
  // A page re-renders itself when only its query changes (a new id on the timeline): no need to rebuild it.
  if (shown === tag && view.firstElementChild) {
    view.firstElementChild.dispatchEvent(new CustomEvent("route-changed"));
    return;
  }
  shown = tag;
  view.className = route === "/api" || route === "/events-reference" ? "full" : "";
  view.replaceChildren(h(tag as keyof HTMLElementTagNameMap));
}

window.addEventListener("hashchange", render);
render();

// The platform's clock in the header: a frozen (seeded) clock only moves when advanced.
const clock = document.getElementById("clock")!;
async function showClock(): Promise<void> {
  try {
    const { now } = await callJson<{ now: string }>("GET", "/_sim/clock", { role: "none" });
    clock.textContent = `platform time ${now.replace("T", " ").slice(0, 19)} UTC`;
  } catch {
    clock.textContent = "simulator unreachable";
  }
}
void showClock();
setInterval(showClock, 5000);
window.addEventListener("clock-advanced", () => void showClock());
