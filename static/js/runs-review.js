/* The review of a matching run: bar chart of coverage by county (Apache ECharts, vendored in
   static/vendor/echarts). The figures come from the element's data-coverage-chart attribute
   (JSON); the table next to the chart shows the same figures for readers without it. */
(function () {
  "use strict";

  function draw(el) {
    var data;
    try {
      data = JSON.parse(el.getAttribute("data-coverage-chart"));
    } catch (e) {
      return;
    }
    if (!window.echarts || !data || !data.labels || !data.labels.length) {
      return;
    }
    el.style.height = Math.max(240, 80 + 24 * data.labels.length) + "px";
    var chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: [data.names.optimiser, data.names.baseline] },
      grid: { left: 8, right: 24, bottom: 36, containLabel: true },
      xAxis: { type: "value", max: 100, name: data.names.axis, nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "category", data: data.labels, inverse: true },
      series: [
        { name: data.names.optimiser, type: "bar", data: data.optimiser },
        { name: data.names.baseline, type: "bar", data: data.baseline }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    var charts = document.querySelectorAll("[data-coverage-chart]");
    for (var i = 0; i < charts.length; i++) {
      draw(charts[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
