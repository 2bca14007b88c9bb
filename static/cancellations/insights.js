/* Draws the insights charts with the vendored Chart.js. The page's tables carry the same numbers, so
   without JavaScript (or if Chart.js failed to load) nothing is lost: the canvases stay hidden. */
(function () {
  "use strict";
  var source = document.getElementById("insights-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ["#417690", "#e0a526", "#b94a48", "#5b9a68", "#8a6bb0", "#4fb0c6", "#c27c2c", "#7a7a7a"];
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  Chart.defaults.color = dark ? "#ddd" : "#333";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = data[canvas.dataset.chart];
    if (!spec || !spec.labels.length) {
      return;
    }
    canvas.parentElement.classList.add("rq-canvas--drawn");
    var datasets = spec.datasets.map(function (set, index) {
      var colour = palette[index % palette.length];
      return {
        label: set.label,
        data: set.data,
        backgroundColor: colour,
        borderColor: colour,
        tension: 0.2,
        fill: false,
      };
    });
    var valueAxis = {
      beginAtZero: true,
      stacked: !!spec.stacked,
      ticks: spec.percent ? { callback: function (v) { return v + "%"; } } : { precision: 0 },
    };
    var categoryAxis = { stacked: !!spec.stacked };
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: { legend: { display: datasets.length > 1, position: "bottom" } },
        scales: spec.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
      },
    });
  });
})();
