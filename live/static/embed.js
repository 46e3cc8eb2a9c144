/* live embed: put a show on your own product page (docs/embed.md).
 *
 *   <script src="https://LIVE/embed.js" data-room="spring-drop" async></script>
 *
 * or, to place and drive it yourself:
 *
 *   const show = LiveEmbed.mount(document.querySelector("#show"), { room: "spring-drop", token, lang: "id" });
 *   show.on("add-to-cart", (item) => myCart.add(item.sku, item.quantity));
 *   show.on("checkout", (order) => location.assign(order.checkout_url ?? "/cart"));
 *   show.openProduct("tee");
 *
 * Events: ready, add-to-cart, checkout, login. Each also fires on the container element as a
 * DOM CustomEvent "live:<name>" (detail = the payload), for pages that prefer listeners.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script ? script.src : location.href).origin;
  var count = 0;

  function LiveEmbed(container, options) {
    if (!options || !options.room) throw new Error("LiveEmbed: options.room is required");
    this.container = container;
    this.frameId = "f" + (++count);
    this.handlers = {};
    var q = new URLSearchParams({ frame: this.frameId });
    if (options.lang) q.set("lang", options.lang);
    if (options.ref) q.set("ref", options.ref);
    if (options.login) q.set("login", options.login);
    var hash = options.token ? "#token=" + encodeURIComponent(options.token) : "";
    var frame = document.createElement("iframe");
    frame.src = origin + "/embed/" + encodeURIComponent(options.room) + "?" + q + hash;
    frame.title = options.title || "Live shopping";
    frame.allow = "autoplay; fullscreen; clipboard-write";
    frame.setAttribute("data-live-embed", options.room);
    frame.style.cssText = "border:0;width:100%;max-width:" + (options.maxWidth || "480px") + ";height:" + (options.height || "min(844px, 90vh)") + ";border-radius:12px;display:block";
    this.frame = frame;
    var self = this;
    this.listener = function (ev) {
      var m = ev.data;
      if (ev.origin !== origin || ev.source !== frame.contentWindow || !m || m.source !== "live-embed" || m.frame !== self.frameId) return;
      (self.handlers[m.type] || []).forEach(function (fn) { fn(m.detail); });
      container.dispatchEvent(new CustomEvent("live:" + m.type, { detail: m.detail, bubbles: true }));
    };
    window.addEventListener("message", this.listener);
    container.appendChild(frame);
  }

  /** Listen to an event: ready, add-to-cart, checkout, login. Returns this. */
  LiveEmbed.prototype.on = function (type, fn) {
    (this.handlers[type] = this.handlers[type] || []).push(fn);
    return this;
  };
  /** Stop listening. */
  LiveEmbed.prototype.off = function (type, fn) {
    this.handlers[type] = (this.handlers[type] || []).filter(function (f) { return f !== fn; });
    return this;
  };
  /** Open a product's sheet in the show (a catalog product id). */
  LiveEmbed.prototype.openProduct = function (productId) {
    this.frame.contentWindow.postMessage({ source: "live-embed-host", frame: this.frameId, method: "openProduct", product_id: String(productId) }, origin);
  };
  /** Remove the show from the page. */
  LiveEmbed.prototype.destroy = function () {
    window.removeEventListener("message", this.listener);
    this.frame.remove();
  };
  LiveEmbed.mount = function (container, options) { return new LiveEmbed(container, options); };
  window.LiveEmbed = LiveEmbed;

  // The one-line form: <script src=".../embed.js" data-room="…"> mounts right after itself.
  if (script && script.dataset.room) {
    var box = document.createElement("div");
    box.className = "live-embed";
    script.after(box);
    var d = script.dataset;
    var show = new LiveEmbed(box, { room: d.room, lang: d.lang, ref: d.ref, token: d.token, login: d.login, height: d.height });
    (window.liveEmbeds = window.liveEmbeds || []).push(show);
  }
})();
