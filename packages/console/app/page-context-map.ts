import { h, loadScript } from "./dom.js";

interface ContextNode {
  readonly name: string;
  readonly team?: string;
  readonly publishes: string[];
  readonly subscribes: string[];
  readonly rpc: string[];
}
interface ContextEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: "event" | "command" | "rpc";
  readonly label: string;
}
interface CytoscapeCore {
  on(event: string, selector: string, handler: (event: { target: { id(): string } }) => void): void;
  destroy(): void;
}
type Cytoscape = (options: Record<string, unknown>) => CytoscapeCore;

const EDGE_COLORS = { event: "#1c7c3c", command: "#a15c00", rpc: "#7a4cc2" } as const;

/**
 * The contexts of contracts/contexts.yaml and the edges between them (events from producer to subscriber, commands
 * from sender to handler, RPC dependencies), laid out by Cytoscape. A node leads to its reference and its traffic.
 */
class ContextMap extends HTMLElement {
  #graph: CytoscapeCore | undefined;

  async connectedCallback(): Promise<void> {
    const canvas = h("div", { id: "context-map" });
    const panel = h("div", { class: "card", id: "context-detail" }, h("p", { class: "muted" }, "Select a context."));
    this.replaceChildren(
      h("h2", {}, "Context map"),
      h(
        "p",
        { class: "legend" },
        h("span", { style: `color:${EDGE_COLORS.event}` }, "── events (producer → subscriber)"),
        h("span", { style: `color:${EDGE_COLORS.command}` }, "── commands (sender → handler)"),
        h("span", { style: `color:${EDGE_COLORS.rpc}` }, "- - RPC (caller → callee)"),
      ),
      h("div", { class: "map-layout" }, canvas, panel),
    );
    const [map] = await Promise.all([
      fetch("/_console/context-map.json").then(
        (response) => response.json() as Promise<{ nodes: ContextNode[]; edges: ContextEdge[] }>,
      ),
      loadScript("/_console/vendor/cytoscape.js"),
    ]);
    if (!this.isConnected) return;
    const cytoscape = (window as unknown as { cytoscape: Cytoscape }).cytoscape;
    // One edge per pair and kind, labelled with how many messages it carries, so the map stays readable.
    const merged = new Map<string, ContextEdge & { count: number }>();
    for (const edge of map.edges) {
      const key = `${edge.from}>${edge.to}>${edge.kind}`;
      const seen = merged.get(key);
      merged.set(key, { ...edge, count: (seen?.count ?? 0) + 1 });
    }
    this.#graph = cytoscape({
      container: canvas,
      elements: [
        ...map.nodes.map((node) => ({ data: { id: node.name, label: node.name } })),
        ...[...merged.values()].map((edge, index) => ({
          data: {
            id: `e${index}`,
            source: edge.from,
            target: edge.to,
            kind: edge.kind,
            label: edge.kind === "rpc" ? "rpc" : `${edge.count} ${edge.kind}${edge.count > 1 ? "s" : ""}`,
          },
        })),
      ],
      layout: { name: "circle", animate: false, padding: 40, spacingFactor: 1.1 },
      style: [
        {
          selector: "node",
          style: {
            label: "data(label)",
            "background-color": "#2755c9",
            color: "#1d2330",
            "text-valign": "bottom",
            "text-margin-y": 6,
            "font-size": 13,
            width: 22,
            height: 22,
          },
        },
        {
          selector: "edge",
          style: {
            width: 1.5,
            "curve-style": "bezier",
            "target-arrow-shape": "triangle",
            label: "data(label)",
            "font-size": 9,
            "text-rotation": "autorotate",
            color: "#5d6677",
          },
        },
        ...Object.entries(EDGE_COLORS).map(([kind, color]) => ({
          selector: `edge[kind = "${kind}"]`,
          style: {
            "line-color": color,
            "target-arrow-color": color,
            ...(kind === "rpc" ? { "line-style": "dashed" } : {}),
          },
        })),
      ],
    });
    const byName = new Map(map.nodes.map((node) => [node.name, node]));
    this.#graph.on("tap", "node", (event) => {
      const node = byName.get(event.target.id());
      if (node) panel.replaceChildren(...detail(node));
    });
  }

  disconnectedCallback(): void {
    this.#graph?.destroy();
  }
}

function detail(node: ContextNode): Node[] {
  const list = (items: string[]) =>
    items.length === 0
      ? h("p", { class: "muted" }, "none")
      : h("ul", {}, ...items.map((item) => h("li", { class: "mono" }, item)));
  return [
    h("h3", {}, node.name),
    h("p", { class: "muted" }, node.team ? `team ${node.team}` : ""),
    h(
      "p",
      {},
      h("a", { href: `#/api`, "data-context": node.name }, "REST reference"),
      " · ",
      h("a", { href: "#/events-reference" }, "events reference"),
      " · ",
      h("a", { href: `#/events?context=${encodeURIComponent(node.name)}`, id: "live-traffic" }, "live traffic"),
    ),
    h("h3", {}, "Publishes"),
    list(node.publishes),
    h("h3", {}, "Subscribes to"),
    list(node.subscribes),
    h("h3", {}, "Serves (Connect)"),
    list(node.rpc),
  ];
}

customElements.define("ecom-context-map", ContextMap);
