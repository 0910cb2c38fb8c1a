/* 一网交易 auction room: applies the pushed public state of a lot (price, leader, end, bids) to the page.
 *
 * The room element carries data-live-url (live.js opens the stream and fires "live:update" with {id, t, d}),
 * data-seq (the command the page was rendered from), data-my-code (the viewer's own 竞买号, or empty) and
 * data-server-now (the server's time at rendering, so the countdown is in server time before the first push).
 * When the phase changes, the panel is re-fetched with htmx ("auction:refresh"). No dependencies besides live.js.
 * The words it writes (（我）, 领先/出局, my status line) come from the page, in the page's language: the JSON of
 * the element #auction-room-words (the template renders it with json_script); the script has none of its own.
 */
(function (global) {
  "use strict";

  var words = null;

  function word(name) {
    if (words === null) {
      var el = document.getElementById("auction-room-words");
      try { words = el ? JSON.parse(el.textContent) : {}; } catch (e) { words = {}; }
    }
    return words[name] === undefined ? "" : words[name];
  }

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (all, name) {
      return values[name] === undefined ? all : values[name];
    });
  }

  function yuan(fen) {
    if (fen === null || fen === undefined) return "—";
    return "¥" + (fen / 100).toLocaleString("zh-CN", {minimumFractionDigits: 2, maximumFractionDigits: 2});
  }

  function setText(room, name, text) {
    Array.prototype.forEach.call(room.querySelectorAll('[data-field="' + name + '"]'), function (el) {
      el.textContent = text;
    });
  }

  function time(iso) {
    var d = new Date(iso);
    var pad = function (n) { return n < 10 ? "0" + n : String(n); };
    var s = new Date(d.getTime() + 8 * 3600 * 1000);  // Asia/Shanghai (no daylight saving)
    return pad(s.getUTCHours()) + ":" + pad(s.getUTCMinutes()) + ":" + pad(s.getUTCSeconds());
  }

  function apply(room, d, id) {
    if (Number(room.getAttribute("data-seq") || 0) >= id) return;  // not newer than what is shown
    room.setAttribute("data-seq", String(id));
    var mine = room.getAttribute("data-my-code") || "";
    setText(room, "price", yuan(d.price));
    setText(room, "leader", d.leader ? (d.leader === mine ? d.leader + word("me") : d.leader) : word("no_bids"));
    setText(room, "bid_count", String(d.bid_count));
    setText(room, "ext_count", String(d.ext_count));
    setText(room, "bidders", String(d.bidders));
    setText(room, "min_next", d.min_next ? yuan(d.min_next) : "—");
    Array.prototype.forEach.call(room.querySelectorAll("[data-live-countdown]"), function (el) {
      if (d.next_at) el.setAttribute("data-end", d.next_at);
    });
    Array.prototype.forEach.call(room.querySelectorAll('input[name="expected_price_fen"]'), function (el) {
      el.value = String(d.price);
    });
    var body = room.querySelector("[data-field=recent]");
    if (body && d.recent) {
      while (body.firstChild) body.removeChild(body.firstChild);
      d.recent.forEach(function (b, i) {
        var tr = document.createElement("tr");
        [b.code + (b.code === mine ? word("me") : ""), yuan(b.amount), time(b.at), word(i === 0 ? "leading" : "outbid")].forEach(
          function (text) { var td = document.createElement("td"); td.textContent = text; tr.appendChild(td); });
        body.appendChild(tr);
      });
    }
    if (room.getAttribute("data-phase") !== d.phase) {
      room.setAttribute("data-phase", d.phase);
      var panel = room.querySelector("[hx-get]");
      if (panel) panel.dispatchEvent(new CustomEvent("auction:refresh"));
    }
  }

  // the viewer's own channel (auction.bidder:<lot>.<竞买号>): accepted, outbid, sealed, won or lost
  function applyMine(box, d) {
    var status = box.querySelector('[data-field="my_status"]');
    var detail = box.querySelector('[data-field="my_detail"]');
    if (status) status.textContent = (word("status") || {})[d.status] || d.status_label || d.status || "";
    if (detail) {
      var text = "";
      if (d.status === "accepted") text = fill(word("accepted"), {amount: yuan(d.amount)}) + (d.leading ? word("accepted_leading") : "");
      else if (d.status === "outbid") text = fill(word("outbid_detail"), {price: yuan(d.price), leader: d.leader || "—"});
      else if (d.status === "won" || d.status === "lost") text = d.deal_price ? fill(word("deal"), {price: yuan(d.deal_price)}) : "";
      else if (d.status === "sealed") text = fill(word("receipt"), {receipt: d.receipt_id || ""});
      detail.textContent = text;
    }
    box.classList.toggle("alert-warning", d.status === "outbid");
    box.classList.toggle("alert-success", d.status === "won" || (d.status === "accepted" && d.leading));
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-auction-me]"), function (box) {
      box.addEventListener("live:update", function (ev) { applyMine(box, ev.detail.d || {}); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-auction-room]"), function (room) {
      var rendered = Date.parse(room.getAttribute("data-server-now") || "");
      if (room.yiwangLive && rendered) room.yiwangLive.offsets.push(rendered - Date.now());
      room.addEventListener("live:update", function (ev) { apply(room, ev.detail.d || {}, ev.detail.id); });
    });
  }

  if (document.readyState !== "loading") start(); else document.addEventListener("DOMContentLoaded", start);
  global.YiwangAuctionRoom = {apply: apply, applyMine: applyMine};
})(window);
