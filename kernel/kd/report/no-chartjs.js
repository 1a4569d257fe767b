/* ntoy was built without Chart.js (Debian's libjs-chart.js): this report has no charts. */
