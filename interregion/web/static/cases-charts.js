// Charts of the case statistics page, drawn with ECharts (served from this node).
// The data comes from JSON islands in the page: no inline script, so the CSP stays strict.
(function () {
  "use strict";
  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }
  function bars(element, labels, series) {
    if (!element || typeof echarts === "undefined") { return; }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      aria: { enabled: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 90 },
      xAxis: { type: "category", data: labels, axisLabel: { rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function stacked(rows) {
    var parts = [["open", "在办 Open"], ["approved", "准予 Approved"],
                 ["refused", "不予许可 Refused"], ["not_accepted", "不予受理 Not accepted"]];
    return parts.map(function (part) {
      return { name: part[1], type: "bar", stack: "cases",
               data: rows.map(function (row) { return row[part[0]]; }) };
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var stats = data("stats-data"), names = data("region-names") || {};
    if (!stats) { return; }
    var pairs = stats.region_pairs;
    bars(document.getElementById("chart-pairs"),
         pairs.map(function (p) { return (names[p.accepting_region] || p.accepting_region) + "→" + (names[p.deciding_region] || p.deciding_region); }),
         stacked(pairs));
    var matters = stats.matters.slice(0, 12);
    bars(document.getElementById("chart-matters"),
         matters.map(function (m) { return m.matter_name; }), stacked(matters));
  });
}());
