// filter.js: an optional enhancement of the qualification lists. It adds a
// box that narrows the rows shown on the current page as the reader types;
// without it the static filter pages do the job.
(function () {
  "use strict";
  var list = document.querySelector("[data-filterable]");
  if (!list) return;
  var p = document.createElement("p");
  var label = document.createElement("label");
  label.htmlFor = "list-filter";
  label.textContent = document.documentElement.lang === "zh-Hant" ? "篩選本頁" : "筛选本页";
  var input = document.createElement("input");
  input.id = "list-filter";
  input.type = "search";
  input.autocomplete = "off";
  input.style.marginLeft = ".5rem";
  p.appendChild(label);
  p.appendChild(input);
  list.parentNode.insertBefore(p, list);
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase();
    var rows = list.children;
    for (var i = 0; i < rows.length; i++) {
      rows[i].hidden = q !== "" && rows[i].textContent.toLowerCase().indexOf(q) < 0;
    }
  });
})();
