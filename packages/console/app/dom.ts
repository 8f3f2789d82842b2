/** Build an element: `h("a", { href: "#/x", class: "badge" }, "text", child)`. Text is set as text, never as HTML. */
export function h<TTag extends keyof HTMLElementTagNameMap>(
  tag: TTag,
  attributes: Record<string, string | undefined> = {},
  ...children: (Node | string | undefined)[]
): HTMLElementTagNameMap[TTag] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) element.setAttribute(name, value);
  for (const child of children) if (child !== undefined) element.append(child);
  return element;
}

/** Load a vendored classic script once (it defines a global); resolves when it has run. */
const loaded = new Map<string, Promise<void>>();
export function loadScript(src: string): Promise<void> {
  let promise = loaded.get(src);
  if (!promise) {
    promise = new Promise<void>((resolve, reject) => {
      const script = h("script", { src });
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`cannot load ${src}`));
      document.head.append(script);
    });
    loaded.set(src, promise);
  }
  return promise;
}

/** Load a vendored stylesheet once. */
export function loadStyle(href: string): void {
  if (!document.querySelector(`link[href="${href}"]`)) document.head.append(h("link", { rel: "stylesheet", href }));
}

/** A time as `HH:MM:SS.mmm` (UTC), as the platform's clock stamps it. */
export function clockTime(iso: string | undefined): string {
  return iso ? iso.slice(11, 23) : "";
}

/** The hash route's query: `#/timeline?id=chk_…` → `{ id: "chk_…" }`. */
export function routeParams(): URLSearchParams {
  const hash = location.hash;
  const query = hash.indexOf("?");
  return new URLSearchParams(query === -1 ? "" : hash.slice(query + 1));
}
