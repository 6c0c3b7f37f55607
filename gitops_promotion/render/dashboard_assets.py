"""The dashboard's inline stylesheet and script: no external assets, so the page works offline and as a CI
artifact. The script only enhances (filter, live relative times, history links); the page reads without it."""

CSS = """
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2330;--muted:#667085;--line:#e4e7ec;--accent:#3b5bdb;
--ok:#1a7f4b;--ok-bg:#e6f6ee;--warn:#9a5b00;--warn-bg:#fff4e0;--bad:#b42318;--bad-bg:#fdecea;
--info:#475467;--info-bg:#eef1f5;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
@media (prefers-color-scheme:dark){:root{--bg:#0f1218;--card:#171b24;--ink:#e6e9ef;--muted:#98a2b3;
--line:#2a3140;--accent:#8ea2ff;--ok:#5fd39a;--ok-bg:#12321f;--warn:#f5b454;--warn-bg:#3a2a0f;--bad:#ff8a80;
--bad-bg:#3b1714;--info:#c0c7d4;--info-bg:#232a36}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,sans-serif}
header{padding:22px 32px 8px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:16px;margin:28px 0 10px}
.sub{color:var(--muted)}
main{padding:0 32px 40px}
.chips{display:flex;gap:8px;flex-wrap:wrap;margin:14px 0 4px}
.chip{background:var(--card);border:1px solid var(--line);border-radius:999px;padding:4px 12px}
.chip b{font-variant-numeric:tabular-nums}
.chip.bad{background:var(--bad-bg);color:var(--bad);border-color:transparent}
.toolbar{display:flex;gap:14px;align-items:center;margin:16px 0 10px}
.toolbar input[type=search]{flex:0 1 320px;padding:7px 10px;border:1px solid var(--line);border-radius:8px;
background:var(--card);color:var(--ink);font:inherit}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;overflow:auto}
table{border-collapse:collapse;width:100%}
th,td{padding:9px 12px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
tr:last-child>td{border-bottom:0}
thead th{position:sticky;top:0;background:var(--card);font-size:12px;text-transform:uppercase;
letter-spacing:.04em;color:var(--muted);z-index:1}
th .branch{font-family:var(--mono);text-transform:none;letter-spacing:0}
td.app{font-weight:600;white-space:nowrap}
td.app a{color:inherit;text-decoration:none}
td.app a:hover{color:var(--accent)}
.group{color:var(--muted);font-weight:400}
.tag{font-family:var(--mono);font-weight:600;font-size:13.5px}
.digest{font-family:var(--mono);font-size:11.5px;color:var(--muted)}
.meta{color:var(--muted);font-size:12.5px;margin-top:2px}
.meta a,.hist a,.pending a{color:var(--accent);text-decoration:none}
.badge{display:inline-block;border-radius:6px;padding:1px 7px;font-size:12px;margin-top:4px;font-weight:500}
.lag-in-sync{background:var(--ok-bg);color:var(--ok)}
.lag-behind{background:var(--warn-bg);color:var(--warn)}
.lag-differs,.lag-missing{background:var(--info-bg);color:var(--info)}
.gate-open{background:var(--ok-bg);color:var(--ok)}
.gate-closed{background:var(--bad-bg);color:var(--bad)}
.gate-waiting{background:var(--warn-bg);color:var(--warn)}
.gate-n\\/a{background:var(--info-bg);color:var(--info)}
td.empty{color:var(--muted)}
tr.failed td{background:var(--bad-bg)}
.hidden{display:none}
details{background:var(--card);border:1px solid var(--line);border-radius:10px;margin:8px 0}
summary{cursor:pointer;padding:10px 14px;font-weight:600}
summary .sub{font-weight:400;margin-left:8px}
details table{font-size:13px}
details[open] summary{border-bottom:1px solid var(--line)}
.notes li{color:var(--muted)}
.mono{font-family:var(--mono)}
footer{color:var(--muted);font-size:12px;padding:0 32px 24px}
"""

JS = """
(function(){
  var units=[[31536000,'y'],[2592000,'mo'],[604800,'w'],[86400,'d'],[3600,'h'],[60,'m']];
  function ago(ts){var s=Math.max(0,Math.floor(Date.now()/1000)-ts);
    for(var i=0;i<units.length;i++){if(s>=units[i][0])return Math.floor(s/units[i][0])+units[i][1]+' ago';}
    return 'just now';}
  function tick(){document.querySelectorAll('[data-ts]').forEach(function(el){
    el.textContent=ago(parseInt(el.getAttribute('data-ts'),10));});}
  var box=document.getElementById('filter'), drift=document.getElementById('drift');
  function apply(){var q=(box.value||'').toLowerCase(), onlyDrift=drift.checked, shown=0;
    document.querySelectorAll('#matrix tbody tr').forEach(function(tr){
      var hit=tr.getAttribute('data-app').toLowerCase().indexOf(q)>=0;
      if(onlyDrift&&tr.getAttribute('data-drift')!=='1')hit=false;
      tr.classList.toggle('hidden',!hit); if(hit)shown++;});
    document.querySelectorAll('details.hist').forEach(function(d){
      d.classList.toggle('hidden',d.getAttribute('data-app').toLowerCase().indexOf(q)<0);});
    document.getElementById('shown').textContent=shown;}
  var m=/[#&]q=([^&]*)/.exec(location.hash); if(m)box.value=decodeURIComponent(m[1]);
  if(/[#&]drift=1/.test(location.hash))drift.checked=true;
  box.addEventListener('input',apply); drift.addEventListener('change',apply);
  document.querySelectorAll('a[data-open]').forEach(function(a){a.addEventListener('click',function(){
    var d=document.getElementById(a.getAttribute('data-open')); if(d)d.open=true;});});
  apply(); tick(); setInterval(tick,60000);
  document.body.setAttribute('data-ready','1');
})();
"""
