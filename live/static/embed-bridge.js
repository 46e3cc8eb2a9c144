// The viewer's side of the embed (docs/embed.md): events go up to the merchant's page, and
// only that page (the frame's parent, on the origin that framed us) may call methods.
export function embedBridge() {
  const frame = new URLSearchParams(location.search).get("frame") ?? "";
  const parentOrigin = location.ancestorOrigins?.[0] ?? (document.referrer ? new URL(document.referrer).origin : null);
  const handlers = {};
  window.addEventListener("message", (ev) => {
    const m = ev.data;
    if (ev.source !== window.parent || ev.origin !== parentOrigin || m?.source !== "live-embed-host" || m.frame !== frame) return;
    if (m.method === "openProduct" && typeof m.product_id === "string") handlers.openProduct?.(m.product_id);
  });
  document.documentElement.dataset.embed = "1";
  return {
    emit(type, detail) {
      if (parentOrigin && window.parent !== window) window.parent.postMessage({ source: "live-embed", frame, type, detail }, parentOrigin);
    },
    onOpenProduct(fn) { handlers.openProduct = fn; },
  };
}
