/* 一屏管交易: the ECharts trend and category charts, and the live alert feed (private SSE channels of the
 * regulator's regions). No dependencies besides the vendored ECharts and the platform's live.js. */
(function () {
  "use strict";
  var script = document.getElementById("stats-dashboard-js");
  var data = JSON.parse(document.getElementById("stats-charts").textContent);
  var names = data.names || {volume: "成交宗数", published: "发布交易", value: "成交金额（万元）", count_unit: "宗", value_unit: "万元"};

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    var c = window.echarts.init(el, null, {renderer: "svg"});
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  chart("chart-trend", {
    animation: false,
    tooltip: {trigger: "axis"},
    legend: {data: [names.volume, names.published, names.value], top: 0},
    grid: {left: 40, right: 50, top: 30, bottom: 30},
    xAxis: {type: "category", data: data.trend.labels},
    yAxis: [{type: "value", name: names.count_unit, minInterval: 1}, {type: "value", name: names.value_unit}],
    series: [
      {name: names.volume, type: "bar", data: data.trend.volume},
      {name: names.published, type: "bar", data: data.trend.published},
      {name: names.value, type: "line", yAxisIndex: 1, data: data.trend.value}
    ]
  });
  chart("chart-categories", {
    animation: false,
    tooltip: {trigger: "axis"},
    grid: {left: 90, right: 20, top: 10, bottom: 25},
    xAxis: {type: "value", name: names.value_unit},
    yAxis: {type: "category", data: data.categories.labels},
    series: [{name: names.value, type: "bar", data: data.categories.value}]
  });

  var feed = document.getElementById("live-feed");
  var base = script.getAttribute("data-alert-base");
  var seen = {};
  function show(d) {
    if (!feed || !d || !d.alert_id) return;
    var key = d.alert_id + ":" + d.status + ":" + d.verb;
    if (seen[key]) return;
    seen[key] = true;
    var item = document.createElement("div");
    item.className = "list-group-item px-0 border-0 border-bottom";
    item.setAttribute("data-alert-id", d.alert_id);
    var link = document.createElement("a");
    link.href = base + d.alert_id + "/";
    link.textContent = d.title;
    var meta = document.createElement("div");
    meta.className = "small text-body-secondary";
    meta.textContent = (d.verb === "raised" ? names.raised || "新预警" : names.updated || "预警更新") + " · " +
      ((names.statuses && names.statuses[d.status]) || d.status_label) + " · " + d.region_code + " · " + (names.score || "得分") + " " + Number(d.score).toFixed(2);
    item.appendChild(link);
    item.appendChild(meta);
    feed.insertBefore(item, feed.firstChild);
    while (feed.children.length > 10) feed.removeChild(feed.lastChild);
    document.body.dispatchEvent(new CustomEvent("stats:alert"));  // the list below re-fetches (htmx)
  }
  var urls = (script.getAttribute("data-live-urls") || "").split(" ").filter(Boolean);
  urls.forEach(function (url) {
    if (!window.YiwangLive) return;
    var channel = decodeURIComponent(new URL(url, window.location.href).pathname.split("/live/")[1] || "");
    window.YiwangLive.open(url, {
      update: function (d) { show(d); },
      gap: function () { document.body.dispatchEvent(new CustomEvent("stats:alert")); },
      refresh: "/api/v1/live/token?channel=" + encodeURIComponent(channel)
    });
  });
})();
