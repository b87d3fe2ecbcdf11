// site.js: small enhancements; every page works without it.
// 1. Remembers the script the reader last read (zh-Hans or zh-Hant), so
//    that the root page, which lets the reader choose, goes on to it the
//    next time.
// 2. The finder (a form with data-finder): types ahead over finder.json
//    in either script and opens the answer at the chosen city. Without it
//    the form opens the A–Z list of certificates.
(function () {
  "use strict";
  var KEY = "qualbridge-script";
  function store(v) { try { localStorage.setItem(KEY, v); } catch (e) {} }
  function stored() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  var lang = document.documentElement.lang;
  if (document.body.hasAttribute("data-root")) {
    var s = stored();
    if (s === "hans" || s === "hant") { location.replace("/zh-" + s + "/"); return; }
  }
  if (/^\/zh-han[st]\//.test(location.pathname)) store(lang === "zh-Hant" ? "hant" : "hans");
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[data-script],a.switch");
    if (a) store(a.getAttribute("data-script") || (a.getAttribute("hreflang") === "zh-Hant" ? "hant" : "hans"));
  });

  // 3. On paper: the page's full address and the day it was printed.
  window.addEventListener("beforeprint", function () {
    var d = new Date(), u = document.querySelector(".printurl"), p = document.querySelector(".printdate");
    if (u) u.textContent = location.href;
    if (p) p.textContent = d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  });

  var form = document.querySelector("form[data-finder]");
  if (!form) return;
  var input = form.querySelector("input[name=cert]"), city = form.querySelector("select[name=city]");
  var prefix = form.getAttribute("data-finder").replace(/finder\.json$/, "");
  var entries = null, shown = [], active = -1;
  var list = document.createElement("ul");
  list.id = "f-cert-list"; list.className = "finder-list"; list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", input.labels && input.labels[0] ? input.labels[0].textContent : "");
  list.hidden = true;
  input.parentNode.appendChild(list);
  var status = document.createElement("p");
  status.className = "meta"; status.setAttribute("aria-live", "polite");
  input.parentNode.appendChild(status);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  var words = { none: "目录中没有找到，按“看能不能办”查看下一步", found: "找到 {n} 项" };
  if (lang === "zh-Hant") words = { none: "目錄中沒有找到，按「看能不能辦」查看下一步", found: "找到 {n} 項" };

  function load(then) {
    if (entries) return then();
    fetch(prefix + "finder.json").then(function (r) { return r.json(); }).then(function (j) {
      entries = j.c || []; then();
    }).catch(function () {});
  }
  function norm(s) { return (s || "").normalize("NFKC").replace(/[\s（）()·\-→]/g, "").toLowerCase(); }
  function match(q) {
    q = norm(q);
    if (!q) return [];
    var out = [];
    for (var i = 0; i < entries.length; i++) {
      var e = entries[i], hay = norm(e.l) + " " + norm(e.k);
      if (hay.indexOf(q) >= 0) out.push(e);
    }
    return out.slice(0, 8);
  }
  function render() {
    list.textContent = "";
    shown.forEach(function (e, i) {
      var li = document.createElement("li");
      li.id = "f-opt-" + i; li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      li.textContent = e.l;
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    list.hidden = shown.length === 0;
    input.setAttribute("aria-expanded", shown.length ? "true" : "false");
    if (active >= 0) input.setAttribute("aria-activedescendant", "f-opt-" + active);
    else input.removeAttribute("aria-activedescendant");
    status.textContent = !input.value.trim() ? "" : shown.length ? words.found.replace("{n}", shown.length) : words.none;
  }
  function choose(i) {
    input.value = shown[i].l;
    shown = [shown[i]]; active = 0; render(); list.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }
  input.addEventListener("input", function () {
    load(function () { shown = match(input.value); active = shown.length ? 0 : -1; render(); });
  });
  input.addEventListener("keydown", function (e) {
    if (!shown.length) return;
    if (e.key === "ArrowDown") { active = (active + 1) % shown.length; render(); e.preventDefault(); }
    else if (e.key === "ArrowUp") { active = (active - 1 + shown.length) % shown.length; render(); e.preventDefault(); }
    else if (e.key === "Escape") { list.hidden = true; input.setAttribute("aria-expanded", "false"); }
  });
  form.addEventListener("submit", function (e) {
    if (!entries) return; // not loaded: the A–Z list is the answer
    e.preventDefault();
    var c = city.value, q = input.value.trim();
    var hit = active >= 0 && shown[active] ? shown[active] : null;
    if (!hit && q) { var m = match(q); if (m.length === 1) hit = m[0]; }
    if (hit) location.href = prefix + hit.p + "#c-" + c;
    else if (q) location.href = prefix + "finder/unlisted/#c-" + c;
    else location.href = prefix + "finder/";
  });
  load(function () {});
})();
