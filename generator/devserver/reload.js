/* Dev server live reload: see package generator/devserver. The server
   appends the call with the id of the build the page was served from. */
(function (build) {
  'use strict';
  var box = null;
  function show(errors) {
    if (box) box.remove();
    box = null;
    if (!errors.length) return;
    box = document.createElement('div');
    box.setAttribute('role', 'alert');
    box.id = 'qualbridge-dev-errors';
    var s = box.style;
    s.position = 'fixed'; s.inset = '0'; s.zIndex = '2147483647'; s.overflow = 'auto';
    s.background = '#fff'; s.color = '#8b0000'; s.padding = '1rem';
    var h = document.createElement('h2');
    h.textContent = '构建失败：修改以下错误并保存后，页面会自动刷新（仍在显示上次成功构建的网站）';
    var pre = document.createElement('pre');
    pre.style.whiteSpace = 'pre-wrap';
    pre.textContent = errors.join('\n');
    box.appendChild(h);
    box.appendChild(pre);
    document.body.appendChild(box);
  }
  var es = new EventSource('/__dev/events');
  es.onmessage = function (e) {
    var st = JSON.parse(e.data);
    if (st.build && st.build !== build) {
      es.close();
      location.reload();
      return;
    }
    show(st.errors);
  };
})
