/* 一网交易 live client: EventSource with resume, token refresh and server-time sync. No dependencies.
 *
 *   var h = YiwangLive.open(url, {update: function (d, id) {…}, gap: function () {…}, refresh: "/api/v1/live/token?channel=…"});
 *   h.serverNow()  // milliseconds since the epoch, in server time
 *   h.close()
 *
 * Markup without script: <div data-live-url="{% live_url "auction.lot:42" %}"> gets a "live:update" DOM event
 * (detail {id, t, d}) for each update — e.g. hx-trigger="live:update" re-fetches a fragment with htmx — and
 * <span data-live-countdown data-end="2026-03-02T10:00:00Z"> inside it counts down in server time.
 */
(function (global) {
  "use strict";

  function withLastId(url, id) {
    var u = new URL(url, global.location.href);
    if (id) u.searchParams.set("last_event_id", String(id)); else u.searchParams.delete("last_event_id");
    return u.toString();
  }

  function open(url, handlers) {
    handlers = handlers || {};
    var h = {lastId: 0, offsets: [], source: null, closed: false, delay: 1000};
    h.serverNow = function () {  // the largest (t - arrival) of recent messages is the least delayed one
      return Date.now() + (h.offsets.length ? Math.max.apply(null, h.offsets) : 0);
    };
    function sync(t) { h.offsets.push(t - Date.now()); if (h.offsets.length > 10) h.offsets.shift(); }
    function reconnect(wait) {
      if (h.source) h.source.close();
      if (h.closed) return;
      global.setTimeout(function () {
        if (h.closed || !handlers.refresh) return connect();
        fetch(withLastId(handlers.refresh, h.lastId), {credentials: "same-origin"})   // a fresh token
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (body) { if (body && body.url) url = body.url; connect(); }, connect);
      }, wait);
    }
    function connect() {
      var es = h.source = new EventSource(withLastId(url, h.lastId));
      es.addEventListener("update", function (e) {
        var m = JSON.parse(e.data);
        sync(m.t);
        h.delay = 1000;
        if (m.id <= h.lastId) return;  // already seen (a catch-up overlapping the live stream)
        h.lastId = m.id;
        if (handlers.update) handlers.update(m.d, m.id, m.t);
      });
      es.addEventListener("tick", function (e) { sync(JSON.parse(e.data).t); if (handlers.tick) handlers.tick(h); });
      es.addEventListener("gap", function () { (handlers.gap || function () { global.location.reload(); })(); });
      ["bye", "reset"].forEach(function (name) {  // the server is stopping / we read too slowly: come back later
        es.addEventListener(name, function () { reconnect(name === "bye" ? 2000 : 200); });
      });
      es.onerror = function () {  // closed for good (401 expired token, 503 …): back off and try again
        if (es.readyState === EventSource.CLOSED) { reconnect(h.delay); h.delay = Math.min(h.delay * 2, 30000); }
      };
    }
    h.close = function () { h.closed = true; if (h.source) h.source.close(); };
    connect();
    return h;
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function countdown(el, handle) {  // "剩余 01:02:03" until data-end, in server time
    var left = Math.max(0, Date.parse(el.getAttribute("data-end")) - handle.serverNow());
    var s = Math.floor(left / 1000);
    el.textContent = left ? (s >= 86400 ? Math.floor(s / 86400) + "天 " : "") +
      pad(Math.floor(s / 3600) % 24) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60) : "已结束";
  }

  function bind(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("[data-live-url]"), function (el) {
      if (el.yiwangLive) return;
      el.yiwangLive = open(el.getAttribute("data-live-url"), {
        refresh: el.getAttribute("data-live-refresh") || null,
        update: function (d, id, t) {
          el.dispatchEvent(new CustomEvent("live:update", {bubbles: true, detail: {id: id, t: t, d: d}}));
        }
      });
      global.setInterval(function () {
        Array.prototype.forEach.call(el.querySelectorAll("[data-live-countdown]"), function (c) {
          countdown(c, el.yiwangLive);
        });
      }, 250);
    });
  }

  global.YiwangLive = {open: open, bind: bind, countdown: countdown};
  if (document.readyState !== "loading") bind(); else document.addEventListener("DOMContentLoaded", function () { bind(); });
})(window);
