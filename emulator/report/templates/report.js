(function () {
  'use strict';
  function all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  function setOpen(open) { all('details.step').forEach(function (d) { d.open = open; }); }
  var expand = document.getElementById('expand-all');
  var collapse = document.getElementById('collapse-all');
  var failed = document.getElementById('only-problems');
  if (expand) { expand.addEventListener('click', function () { setOpen(true); }); }
  if (collapse) { collapse.addEventListener('click', function () { setOpen(false); }); }
  if (failed) {
    failed.addEventListener('click', function () {
      var on = failed.getAttribute('aria-pressed') !== 'true';
      failed.setAttribute('aria-pressed', on ? 'true' : 'false');
      failed.textContent = on ? 'Show all steps' : 'Only problems';
      all('details.step').forEach(function (d) {
        var r = d.getAttribute('data-result');
        var problem = r === 'failed' || r === 'succeededWithIssues' || r === 'canceled';
        d.style.display = (!on || problem) ? '' : 'none';
      });
    });
  }
  all('svg.mlops-graph g.job').forEach(function (g) {
    g.addEventListener('click', function () {
      var id = 'job-' + g.getAttribute('data-stage') + '-' + g.getAttribute('data-name');
      var target = document.getElementById(id);
      if (target) { target.scrollIntoView({behavior: 'smooth', block: 'start'}); }
    });
  });
  document.documentElement.setAttribute('data-report-ready', 'true');
})();
