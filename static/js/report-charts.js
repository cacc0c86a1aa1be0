/* Report dashboard charts: reads the JSON block #report-data and draws with Chart.js (served locally).
   Without JavaScript the tables below carry the same numbers; the figures stay hidden. */
(function () {
  "use strict";
  var source = document.getElementById("report-data");
  if (!source || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var brand = "#1f4e79";
  var palette = ["#1f4e79", "#2e7d9a", "#8a5300", "#6a3d9a", "#1e6b3a"];
  var narrow = window.matchMedia("(max-width: 40rem)").matches;

  function shorten(text, length) {
    return text.length <= length ? text : text.slice(0, length - 1) + "\u2026";
  }

  var dayFormat = new Intl.DateTimeFormat(document.documentElement.lang || "id", { day: "numeric", month: "short" });
  function dayLabel(iso) {
    var parts = iso.split("-");
    return dayFormat.format(new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2])));
  }

  function show(name) {
    var figure = document.querySelector('[data-chart="' + name + '"]');
    if (!figure) { return null; }
    figure.hidden = false;
    return figure.querySelector("canvas");
  }

  var unitsCanvas = show("units");
  if (unitsCanvas && data.units.labels.length) {
    /* One bar per unit: give each about 2rem so long names stay readable on a 360 px phone. */
    unitsCanvas.parentNode.style.height = Math.max(8, data.units.labels.length * 2 + 3) + "rem";
    new window.Chart(unitsCanvas, {
      type: "bar",
      data: { labels: data.units.labels.map(function (label) { return shorten(label, narrow ? 18 : 34); }),
              datasets: [{ label: data.text.percent, data: data.units.percent, backgroundColor: brand }] },
      options: {
        indexAxis: "y", maintainAspectRatio: false, animation: false,
        scales: { x: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } },
                  y: { ticks: { autoSkip: false } } },
        plugins: { legend: { display: false },
                   tooltip: { callbacks: { title: function (items) { return data.units.labels[items[0].dataIndex]; },
                                           label: function (c) { return c.parsed.x.toFixed(1) + "%"; } } } }
      }
    });
  }

  var lineCanvas = show("timeline");
  if (lineCanvas && data.timeline.days.length) {
    new window.Chart(lineCanvas, {
      type: "line",
      data: {
        labels: data.timeline.days.map(dayLabel),
        datasets: data.timeline.series.map(function (s, i) {
          return { label: s.label, data: s.values, borderColor: palette[i % palette.length],
                   backgroundColor: palette[i % palette.length], pointRadius: 0, borderWidth: 2, tension: 0.2 };
        })
      },
      options: {
        maintainAspectRatio: false, animation: false, interaction: { mode: "index", intersect: false },
        scales: { x: { ticks: { maxTicksLimit: narrow ? 4 : 8, maxRotation: 0 } },
                  y: { beginAtZero: true, title: { display: true, text: data.text.people }, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } }
      }
    });
  }
})();
