import { h, loadScript } from "./dom.js";
import { getSession } from "./platform-api.js";

interface ScalarGlobal {
  createApiReference(element: Element, configuration: Record<string, unknown>): { destroy?: () => void };
}

/**
 * The REST reference of every context (`/openapi.json`) rendered by Scalar's API reference, vendored. Its "Test
 * Request" client sends to this simulator; on loopback it is pre-filled with the admin dev token.
 */
class ApiReference extends HTMLElement {
  // Not `id="api-reference"`: Scalar's standalone script reads its configuration from an element with that id.
  #app: { destroy?: () => void } | undefined;

  async connectedCallback(): Promise<void> {
    const mount = h("div", { id: "scalar-mount" });
    this.replaceChildren(mount);
    const [session] = await Promise.all([getSession(true), loadScript("/_console/vendor/scalar-api-reference.js")]);
    if (!this.isConnected) return;
    const scalar = (window as unknown as { Scalar: ScalarGlobal }).Scalar;
    const token = session.tokens?.admin;
    this.#app = scalar.createApiReference(mount, {
      url: "/openapi.json",
      // Nothing leaves this origin: no web fonts from a CDN, no request proxy, no links to hosted clients.
      withDefaultFonts: false,
      customCss:
        ":root, .light-mode, .dark-mode { --scalar-font: system-ui, sans-serif; --scalar-font-code: ui-monospace, monospace; }",
      telemetry: false,
      agent: { disabled: true },
      mcp: { disabled: true },
      proxyUrl: "",
      hideDownloadButton: false,
      showDeveloperTools: "never",
      servers: [{ url: location.origin, description: "this simulator" }],
      defaultOpenAllTags: false,
      ...(token
        ? {
            authentication: {
              preferredSecurityScheme: "bearerAuth",
              securitySchemes: { bearerAuth: { token } },
            },
          }
        : {}),
    });
  }

  disconnectedCallback(): void {
    this.#app?.destroy?.();
  }
}
customElements.define("ecom-api-reference", ApiReference);
