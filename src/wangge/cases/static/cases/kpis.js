// The KPI page's chart: scores of the ranked areas as bars, their rates (%) as lines, and a
// pie of where the period's cases were settled. ECharts is served locally (no CDN).
(function () {
  "use strict";
  var charts = [];
  function ranking(el, data) {
    var chart = echarts.init(el, null, { renderer: "svg" });
    var series = [{ name: data.score_label, type: "bar", data: data.bars }];
    data.lines.forEach(function (l) {
      series.push({ name: l.name, type: "line", data: l.data, connectNulls: false });
    });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 36, right: 12, top: 16, bottom: 64 },
      xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 6 ? 40 : 0 } },
      // 0–100, higher when a rate is (a reopened case counts each of its resolutions).
      yAxis: { type: "value", min: 0, max: function (v) { return Math.max(100, Math.ceil(v.max)); } },
      series: series
    });
    charts.push(chart);
  }
  function settled(el, data) {
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0 },
      series: [{
        name: data.settled_title, type: "pie", radius: ["35%", "65%"], center: ["50%", "42%"],
        data: data.settled.filter(function (s) { return s.value > 0; }),
        label: { formatter: "{d}%" }
      }]
    });
    charts.push(chart);
  }
  function init() {
    if (typeof echarts === "undefined") return;
    var source = document.getElementById("kpi-chart-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var el = document.getElementById("kpi-chart");
    if (el) ranking(el, data);
    el = document.getElementById("kpi-settled");
    if (el) settled(el, data);
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }
  if (document.readyState !== "loading") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
