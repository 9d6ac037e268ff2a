/* The balance dashboard's charts (Apache ECharts, vendored in static/vendor/echarts): the
   monthly trend, coverage by category and the county map. Each chart's figures come from the
   element's data-chart attribute (JSON); the table next to it shows the same figures for
   readers without the chart. The site's CSP forbids inline styles, so tooltips are drawn on
   the canvas (renderMode "richText") instead of as HTML. Charts draw without animation, so a
   screenshot taken once the page is loaded shows them complete. */
(function () {
  "use strict";

  var MAP_NAME = "hunan-counties";
  var charts = [];

  function read(el) {
    try {
      return JSON.parse(el.getAttribute("data-chart"));
    } catch (e) {
      return null;
    }
  }

  function init(el, height) {
    el.style.height = height + "px";
    var chart = window.echarts.init(el);
    charts.push(chart);
    return chart;
  }

  function done(el) {
    el.setAttribute("data-rendered", "true");
  }

  function trend(el, data) {
    if (!data.months || !data.months.length) { return; }
    var chart = init(el, 320);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { data: [data.names.coverage, data.names.worst, data.names.gini] },
      grid: { left: 8, right: 8, bottom: 24, containLabel: true },
      xAxis: { type: "category", data: data.months },
      yAxis: [
        { type: "value", min: 0, max: 100, name: "%" },
        { type: "value", min: 0, max: 1, name: data.names.gini, splitLine: { show: false } }
      ],
      series: [
        { name: data.names.coverage, type: "line", data: data.coverage, connectNulls: false },
        { name: data.names.worst, type: "line", data: data.worst, connectNulls: false },
        { name: data.names.gini, type: "line", yAxisIndex: 1, data: data.gini,
          lineStyle: { type: "dashed" }, connectNulls: false }
      ]
    });
    done(el);
  }

  function categories(el, data) {
    if (!data.labels || !data.labels.length) { return; }
    var chart = init(el, Math.max(200, 60 + 26 * data.labels.length));
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
      grid: { left: 8, right: 24, bottom: 24, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, name: "%" },
      yAxis: { type: "category", data: data.labels, inverse: true },
      series: [{ name: data.names.coverage, type: "bar", data: data.coverage }]
    });
    done(el);
  }

  // The centre and zoom that frame the counties whose code starts with prefix (a prefecture's
  // or a county's page shows its own area; neighbours stay grey at the edges); null for the
  // whole province.
  function frameOf(geojson, prefix) {
    if (!prefix || prefix.length <= 2) { return null; }
    var all = box(geojson, ""), own = box(geojson, prefix);
    if (!own) { return null; }
    var zoom = 0.8 * Math.min((all.e - all.w) / (own.e - own.w), (all.n - all.s) / (own.n - own.s));
    return { center: [(own.w + own.e) / 2, (own.s + own.n) / 2], zoom: Math.max(1, zoom) };
  }

  function box(geojson, prefix) {
    var b = { w: 180, e: -180, s: 90, n: -90 };
    geojson.features.forEach(function (f) {
      if (String(f.id).indexOf(prefix) !== 0) { return; }
      var polys = f.geometry.type === "MultiPolygon" ? f.geometry.coordinates : [f.geometry.coordinates];
      polys.forEach(function (rings) {
        rings[0].forEach(function (p) {
          b.w = Math.min(b.w, p[0]); b.e = Math.max(b.e, p[0]);
          b.s = Math.min(b.s, p[1]); b.n = Math.max(b.n, p[1]);
        });
      });
    });
    return b.w > b.e ? null : b;
  }

  function map(el, data) {
    fetch(data.url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (geojson) {
        if (!window.echarts.getMap(MAP_NAME)) {
          window.echarts.registerMap(MAP_NAME, geojson);
        }
        // Counties without figures are not in data.data: name them from the outlines.
        var outlineNames = {};
        geojson.features.forEach(function (f) { outlineNames[f.id] = f.properties.name; });
        var frame = frameOf(geojson, data.prefix);
        var chart = init(el, 520);
        chart.setOption({
          animation: false,
          tooltip: {
            trigger: "item",
            renderMode: "richText",
            formatter: function (p) {
              var label = p.data && p.data.label ? p.data.label : (outlineNames[p.name] || p.name);
              var value = p.data && p.data.value !== null && p.data.value !== undefined
                ? p.data.value + " %" : data.names.none;
              return label + ": " + value;
            }
          },
          visualMap: {
            min: 0, max: 100, calculable: true, text: ["100 %", "0 %"],
            inRange: { color: ["#d7301f", "#fdcc8a", "#1a9850"] },
            left: 8, bottom: 8
          },
          series: [{
            name: data.names.coverage,
            type: "map",
            map: MAP_NAME,
            nameProperty: "adcode",
            roam: false,
            center: frame ? frame.center : undefined,
            zoom: frame ? frame.zoom : 1,
            selectedMode: false,
            itemStyle: { areaColor: "#e9ecef", borderColor: "#868e96", borderWidth: 0.5 },
            emphasis: { label: { show: false }, itemStyle: { areaColor: "#74c0fc" } },
            data: data.data
          }]
        });
        done(el);
      })
      .catch(function () {
        el.setAttribute("data-rendered", "failed");
      });
  }

  var DRAW = { trend: trend, categories: categories, map: map };

  function start() {
    if (!window.echarts) { return; }
    var els = document.querySelectorAll("[data-oversight-chart]");
    for (var i = 0; i < els.length; i++) {
      var kind = els[i].getAttribute("data-oversight-chart");
      var data = read(els[i]);
      if (data && DRAW[kind]) { DRAW[kind](els[i], data); }
    }
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
