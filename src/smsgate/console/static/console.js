// The overview's throughput chart: uPlot over /console/overview/throughput.json, redrawn
// every few seconds. The data are per-second rates of this gateway process (console_rates.py).
(function () {
  "use strict";
  const REFRESH_MS = 3000;
  const WINDOW_SECONDS = 3600;
  // Distinct by colour and by line, so that series on top of each other stay apart.
  const SERIES = [
    ["accepted", "#0a4fa3", 4, []],
    ["submitted", "#8250df", 2, [8, 4]],
    ["delivered", "#116329", 2, []],
    ["failed", "#a40e26", 2, [2, 3]],
  ];

  function empty() {
    return [[], [], [], [], []];
  }

  function columns(data) {
    return [data.t, ...SERIES.map(([name]) => data[name])];
  }

  function start() {
    const box = document.getElementById("throughput");
    if (!box || typeof uPlot === "undefined") {
      return;
    }
    const options = {
      width: Math.max(320, box.clientWidth || 800),
      height: 260,
      series: [{}, ...SERIES.map(([label, stroke, width, dash]) => ({ label, stroke, width, dash }))],
      axes: [{}, { label: "per second" }],
      scales: {
        x: {
          time: true,
          // the last hour, or less while the gateway has run for less
          range: (u) => {
            const now = Date.now() / 1000;
            const first = u.data[0].length ? u.data[0][0] : now - 60;
            return [Math.max(now - WINDOW_SECONDS, Math.min(first, now - 60)), now];
          },
        },
        y: { range: (u, min, max) => [0, Math.max(1, max)] },
      },
    };
    const plot = new uPlot(options, empty(), box);
    async function refresh() {
      try {
        const response = await fetch(box.dataset.source, { credentials: "same-origin" });
        if (response.ok) {
          const data = await response.json();
          plot.setData(columns(data));
          box.dataset.points = String(data.t.length);
          const last = data.accepted.length ? data.accepted[data.accepted.length - 1] : 0;
          box.dataset.lastAccepted = String(last);
        }
      } catch (error) {
        // a gateway restart or a lost network: try again at the next tick
      }
    }
    refresh();
    setInterval(refresh, REFRESH_MS);
    window.addEventListener("resize", () => {
      plot.setSize({ width: Math.max(320, box.clientWidth), height: 260 });
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
