#include "engine/report/html_assets.hpp"

namespace upkeep {

const char* const k_html_report_css = R"CSS(
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 2em 3em; color: #222; background: #fafafa; }
h1 { font-size: 1.4em; margin: .8em 0 .2em; }
h2 { font-size: 1.15em; margin: 1.5em 0 .5em; border-bottom: 1px solid #ccc; }
.meta { color: #666; margin: 0 0 1em; }
.cards { display: flex; gap: .8em; flex-wrap: wrap; }
.card { padding: .5em 1em; border-radius: 6px; background: #fff; border: 1px solid #ddd; min-width: 7em; }
.card .count { font-size: 1.6em; font-weight: bold; display: block; }
.s-ok { background: #e3f4e3; } .s-changed { background: #fff1c7; } .s-failed { background: #f9d0d0; }
.s-unreachable { background: #f4c2e8; } .s-skipped { background: #e6eef6; } .s-none { background: #fff; }
.toolbar { position: sticky; top: 0; background: #fafafa; padding: .6em 0; border-bottom: 1px solid #ddd; z-index: 1;
           display: flex; gap: .5em; align-items: center; flex-wrap: wrap; }
.toolbar button { padding: .3em .8em; border: 1px solid #aaa; border-radius: 4px; background: #fff; cursor: pointer; }
.toolbar button.active { background: #333; color: #fff; }
.toolbar input { padding: .3em; min-width: 16em; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #ddd; padding: .2em .5em; text-align: left; }
#matrix td.cell { text-align: center; font-size: .85em; min-width: 3em; }
#matrix td.dim { opacity: .25; }
.legend { columns: 2; font-size: .9em; color: #444; }
.entry { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: .6em 0; padding: .4em .8em; }
.entry h3 { font-size: 1em; margin: .2em 0; }
.entry .hosts { color: #555; font-weight: normal; }
pre.diff { margin: .3em 0; padding: .4em; background: #f6f6f6; overflow-x: auto; }
.diff .add { color: #11661b; background: #e6ffec; } .diff .del { color: #8a1111; background: #ffebe9; }
.diff .hunk { color: #0b5c8a; } .diff .note { color: #7a3a86; font-style: italic; } .diff .hdr { font-weight: bold; }
.msg { white-space: pre-wrap; font-family: monospace; }
[hidden] { display: none !important; }
)CSS";

const char* const k_html_report_js = R"JS(
(function () {
  var q = function (s) { return document.querySelector(s); };
  var qa = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var status = 'all';
  function has(list, x) { return (' ' + list + ' ').indexOf(' ' + x + ' ') >= 0; }
  function apply() {
    var host = q('#filter-host').value, task = q('#filter-task').value;
    var text = q('#search').value.trim().toLowerCase();
    var rows = 0, entries = 0;
    qa('#matrix tbody tr').forEach(function (tr) {
      var ok = (host === '' || tr.dataset.host === host) && (status === 'all' || has(tr.dataset.states, status)) &&
               (text === '' || tr.dataset.host.toLowerCase().indexOf(text) >= 0 ||
                (tr.dataset.text || '').toLowerCase().indexOf(text) >= 0);
      tr.hidden = !ok;
      if (ok) rows++;
    });
    qa('#matrix [data-task]').forEach(function (c) { c.classList.toggle('dim', task !== '' && c.dataset.task !== task); });
    qa('.entry').forEach(function (d) {
      var ok = (host === '' || has(d.dataset.hosts, host)) && (task === '' || d.dataset.task === task) &&
               (status === 'all' || has(d.dataset.status, status)) &&
               (text === '' || d.textContent.toLowerCase().indexOf(text) >= 0);
      d.hidden = !ok;
      if (ok) entries++;
    });
    q('#shown-hosts').textContent = rows;
    q('#shown-entries').textContent = entries;
  }
  qa('.status-filter').forEach(function (b) {
    b.addEventListener('click', function () {
      status = b.dataset.status;
      qa('.status-filter').forEach(function (x) { x.classList.toggle('active', x === b); });
      apply();
    });
  });
  q('#filter-host').addEventListener('change', apply);
  q('#filter-task').addEventListener('change', apply);
  q('#search').addEventListener('input', apply);
  apply();
})();
)JS";

}  // namespace upkeep
