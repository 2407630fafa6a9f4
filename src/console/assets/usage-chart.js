// Draws the usage table's figures as one line per charge category with uPlot. The numbers
// are parsed for plotting only; the table beside the chart keeps the exact decimal amounts.
(function () {
  'use strict';
  var block = document.getElementById('usage-data');
  var box = document.getElementById('usage-chart');
  if (!block || !box || typeof uPlot === 'undefined') return;
  var data = JSON.parse(block.textContent);
  var palette = ['#0b57d0', '#e37400', '#146c2e', '#b3261e', '#7c4dff', '#00838f', '#6d4c41', '#c2185b'];
  var xs = data.rows.map(function (r) { return Date.parse(r.date + 'T00:00:00Z') / 1000; });
  var series = [{ label: 'Day', value: function (u, ts) { return ts == null ? '—' : new Date(ts * 1000).toISOString().slice(0, 10); } }];
  var columns = [xs];
  data.categories.forEach(function (category, i) {
    series.push({ label: category, stroke: palette[i % palette.length], width: 2, points: { show: true }, value: function (u, v) { return v == null ? '—' : v.toFixed(2); } });
    // A day without usage of the category is 0, so each category draws as one connected line.
    columns.push(data.rows.map(function (r) { return r.amounts[i] == null ? 0 : Number(r.amounts[i]); }));
  });
  function size() { return { width: Math.max(box.clientWidth, 200), height: 260 }; }
  var plot = new uPlot({
    width: size().width,
    height: size().height,
    tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
    series: series,
    axes: [
      {
        // One tick per day at most: the figures are daily.
        incrs: [86400, 2 * 86400, 7 * 86400, 14 * 86400],
        values: function (u, splits) { return splits.map(function (ts) { return new Date(ts * 1000).toISOString().slice(5, 10); }); },
      },
      { label: data.currency || '' },
    ],
  }, columns, box);
  // Follow the box's width (a turned phone, a resized window), before the next paint.
  var width = size().width;
  new ResizeObserver(function () {
    var next = size();
    if (next.width !== width) { width = next.width; plot.setSize(next); }
  }).observe(box);
})();
