// Quick charts with Apache ECharts (served from our origin): line, bar and a map of the
// delta's provinces and cities. Each .chart element names its data (chart.json) in data-src.
(function () {
  "use strict";
  var mapReady = null;

  function loadMap(urls) {
    if (!mapReady) {
      mapReady = Promise.all(urls.split(" ").map(function (u) {
        return fetch(u).then(function (r) { return r.json(); });
      })).then(function (parts) {
        var features = [], names = {};
        parts.forEach(function (part) {
          part.features.forEach(function (f) {
            var code = String(f.properties.adcode);
            names[code] = f.properties.name;
            f.properties = { name: code };
            features.push(f);
          });
        });
        echarts.registerMap("delta", { type: "FeatureCollection", features: features });
        return names;
      });
    }
    return mapReady;
  }

  function draw(element, data, names) {
    var chart = echarts.init(element, null, { renderer: "svg" });
    var label = element.dataset.label;
    var option;
    if (data.chart_type === "map") {
      var values = {};
      data.regions.forEach(function (r) { values[r.code] = r.value; });
      var shown = Object.keys(names).map(function (code) {
        var own = values[code];
        var province = values[code.slice(0, 2) + "0000"];
        var value = own !== undefined ? own : province;
        return { name: code, value: value === undefined ? null : value };
      });
      var max = Math.max.apply(null, shown.map(function (d) { return d.value || 0; }).concat([1]));
      option = {
        tooltip: { formatter: function (p) { return names[p.name] + ": " + (p.value == null || isNaN(p.value) ? "-" : p.value); } },
        visualMap: { min: 0, max: max, calculable: true, left: "left", bottom: 10, inRange: { color: ["#e0ecf7", "#0b4f8a"] } },
        series: [{ type: "map", map: "delta", roam: true, name: label, data: shown,
                   label: { show: false }, emphasis: { label: { show: true, formatter: function (p) { return names[p.name]; } } } }]
      };
    } else {
      option = {
        tooltip: { trigger: "axis" },
        grid: { left: 60, right: 20, bottom: 60, top: 20 },
        xAxis: { type: "category", data: data.points.map(function (p) { return p[0]; }), axisLabel: { rotate: 30 } },
        yAxis: { type: "value", name: label },
        series: [{ type: data.chart_type, name: label, data: data.points.map(function (p) { return p[1]; }), color: "#0b4f8a" }]
      };
    }
    chart.setOption(option);
    element.dataset.rendered = "true";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll(".chart[data-src]").forEach(function (element) {
    fetch(element.dataset.src, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.chart_type === "map") {
          return loadMap(element.dataset.maps).then(function (names) { draw(element, data, names); });
        }
        draw(element, data, {});
      });
  });
})();
