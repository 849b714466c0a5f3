// The inline style and script of the `doplab open` page (no file to ship, nothing fetched from elsewhere).

/** The page's style: instructions on the left, deployment and checklist beside them on a wide screen. */
export const PAGE_CSS = `
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{padding:.6em 1.2em;background:#1d2430;color:#fff}header .brand{font-weight:700}header .lab-id{font-family:ui-monospace,monospace;margin:0 .6em}
header .muted{color:#aab2bd}
main{display:flex;gap:1.2em;padding:1.2em;align-items:flex-start}
#readme{flex:1 1 60%;min-width:0}
#side{flex:0 0 40%;max-width:560px;position:sticky;top:1em;max-height:calc(100vh - 2em);overflow:auto}
@media (max-width:900px){main{display:block}#side{position:static;max-height:none;max-width:none}}
.card,#instructions{background:#fff;border:1px solid #d6dae0;border-radius:6px;padding:.8em 1.1em;margin-bottom:1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin:.2em 0 .5em}h3{font-size:1em;margin:.8em 0 .2em}
table{border-collapse:collapse;margin:.6em 0}th,td{padding:3px 8px;border:1px solid #d6dae0;vertical-align:top;text-align:left}
th{background:#eef1f4}td.num{text-align:right;white-space:nowrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em;background:#eef1f4;padding:0 3px;border-radius:3px}
.code{position:relative;margin:.6em 0}
.code pre{background:#1d2430;color:#e9ecef;padding:.7em 4.5em .7em 1em;border-radius:5px;overflow:auto;margin:0}
#commands .code pre{white-space:pre-wrap;overflow-wrap:anywhere}
.code pre code{background:none;padding:0;color:inherit}
.code .copy{position:absolute;top:4px;right:4px;font-size:.8em;padding:1px 8px;border:1px solid #5c6773;background:#2b3440;color:#e9ecef;border-radius:4px;cursor:pointer}
.code .copy.done{background:#2f9e44;border-color:#2f9e44}
dl{margin:.4em 0;display:grid;grid-template-columns:max-content 1fr;gap:2px 10px}dt{color:#5c6773}dd{margin:0;overflow-wrap:anywhere}
ul.tasks{margin:0;padding-left:1.1em}
.muted{color:#6c757d}.hint{color:#364fc7}.error{color:#c92a2a}
.controls{display:flex;gap:1em;align-items:center;flex-wrap:wrap}
#check{font-size:1em;font-weight:600;padding:.35em 1.4em;background:#1971c2;color:#fff;border:0;border-radius:5px;cursor:pointer}
#check:disabled{background:#74a9d8;cursor:progress}
ol.checks{list-style:none;padding:0;margin:.4em 0}
li.check{border:1px solid #e3e6ea;border-left:5px solid #ced4da;border-radius:4px;padding:.35em .6em;margin:.35em 0;background:#fff}
li.check .row{display:flex;gap:.5em;align-items:baseline;flex-wrap:wrap}
li.check .sym{font-weight:700;width:1.1em;text-align:center}li.check .title{flex:1 1 12em}
li.check .pts{font-variant-numeric:tabular-nums;white-space:nowrap}li.check .ts{color:#6c757d;font-size:.85em}
li.check .ts:before{content:"["}li.check .ts:after{content:"]"}
li.check .label,li.check .opt,li.check .was{font-size:.75em;padding:0 6px;border-radius:8px;background:#eef1f4}
li.check dl{font-size:.9em;margin-left:1.6em}
li.PASS{border-left-color:#2f9e44}li.PASS .sym{color:#2f9e44}
li.FAIL{border-left-color:#e03131}li.FAIL .sym{color:#e03131}
li.PENDING{border-left-color:#f59f00}li.PENDING .sym{color:#e67700}li.PENDING .label{background:#ffe8a1}
li.ERROR{border-left-color:#862e9c}li.ERROR .sym{color:#862e9c}li.ERROR .label{background:#eebefa}
li.SKIPPED{border-left-color:#adb5bd;color:#6c757d}
li.check.changed{background:#fff9db;box-shadow:0 0 0 2px #fab005 inset}li.check .was{background:#fab005;color:#222;font-weight:600}
.changed-note{background:#fff3bf;padding:0 4px;border-radius:3px}
`;

/**
 * The page's script: Check (POST /api/check), re-check while PENDING, the deployment panel (GET /api/status)
 * and the copy buttons. Every request carries the token of the page's own URL. The server renders (and
 * escapes) every fragment this script puts in the page.
 */
export const PAGE_SCRIPT = `
(function(){
  var token=new URLSearchParams(location.search).get('token')||'';
  var body=document.body,recheckMs=Number(body.getAttribute('data-recheck-ms'))||30000;
  var button=document.getElementById('check'),auto=document.getElementById('auto'),note=document.getElementById('check-note');
  var list=document.getElementById('checklist'),failure=document.getElementById('check-error'),deployment=document.getElementById('deployment');
  var timer=null,busy=false,pending=false,checks=0;
  function api(path,method){
    return fetch(path+'?token='+encodeURIComponent(token),{method:method||'GET',headers:{accept:'application/json'}}).then(function(r){
      return r.json().catch(function(){throw new Error('HTTP '+r.status);}).then(function(answer){
        if(!r.ok&&!answer.html){var e=new Error((answer.error&&answer.error.message)||('HTTP '+r.status));e.answered=true;throw e;}
        return answer;
      });
    });
  }
  function unreachable(e){
    return e.answered?'doplab failed: '+e.message+' (a bug in doplab; the terminal says more)':'doplab open did not answer ('+e.message+'): is it still running in your terminal?';
  }
  function refreshStatus(){
    return api('/api/status').then(function(s){deployment.innerHTML=s.html;}).catch(function(e){deployment.textContent=unreachable(e);});
  }
  function plan(){
    clearTimeout(timer);timer=null;
    if(pending&&auto.checked){
      timer=setTimeout(check,recheckMs);
      note.textContent='Something is PENDING while AWS settles: checking again in '+Math.round(recheckMs/1000)+' s.';
    }else if(pending){
      note.textContent='Something is PENDING while AWS settles: press Check again in a little while.';
    }
  }
  function check(){
    if(busy)return;
    busy=true;clearTimeout(timer);timer=null;
    button.disabled=true;button.textContent='Checking…';body.setAttribute('data-checking','1');
    api('/api/check','POST').then(function(answer){
      if(answer.error){failure.innerHTML=answer.html;pending=false;note.textContent='';return;}
      failure.innerHTML='';list.innerHTML=answer.html;pending=answer.pending;note.textContent='';
    }).catch(function(e){failure.textContent=unreachable(e);pending=false;}).then(function(){
      busy=false;checks++;button.disabled=false;button.textContent='Check';
      body.removeAttribute('data-checking');body.setAttribute('data-checks',String(checks));
      plan();refreshStatus();
    });
  }
  button.addEventListener('click',check);
  auto.addEventListener('change',plan);
  function copy(text){
    if(navigator.clipboard&&window.isSecureContext)return navigator.clipboard.writeText(text);
    var area=document.createElement('textarea');area.value=text;document.body.appendChild(area);area.select();
    try{document.execCommand('copy');}finally{area.remove();}
    return Promise.resolve();
  }
  document.addEventListener('click',function(e){
    var b=e.target.closest&&e.target.closest('button.copy');if(!b)return;
    copy(b.parentNode.querySelector('code').textContent).then(function(){
      b.textContent='Copied';b.classList.add('done');
      setTimeout(function(){b.textContent='Copy';b.classList.remove('done');},1500);
    },function(){b.textContent='Select and copy';});
  });
  pending=body.getAttribute('data-pending')==='1';plan();
  refreshStatus();setInterval(refreshStatus,60000);
})();
`;
