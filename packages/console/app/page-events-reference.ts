import { h, loadScript, loadStyle } from "./dom.js";

interface AsyncApiStandalone {
  render(props: { schema: { url: string }; config: Record<string, unknown> }, element: Element): void;
}

/** Every context's events and commands (`/asyncapi.json`) rendered by the AsyncAPI project's React component. */
class EventsReference extends HTMLElement {
  async connectedCallback(): Promise<void> {
    const mount = h("div", { id: "asyncapi" });
    this.replaceChildren(mount);
    loadStyle("/_console/vendor/asyncapi-react.css");
    await loadScript("/_console/vendor/asyncapi-react.js");
    if (!this.isConnected) return;
    const standalone = (window as unknown as { AsyncApiStandalone: AsyncApiStandalone }).AsyncApiStandalone;
    standalone.render(
      {
        schema: { url: "/asyncapi.json" },
        config: { show: { sidebar: true, errors: true }, parserOptions: { ruleset: { rules: {} } } },
      },
      mount,
    );
  }
}
customElements.define("ecom-events-reference", EventsReference);
