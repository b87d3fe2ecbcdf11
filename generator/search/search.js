/* Site search: results as you type. No dependencies; the index format and
   the ranking are documented in the Go package generator/search. */
(function () {
  'use strict';

  var LABELS = {
    qualification: ['职业资格', '職業資格'], organisation: ['评价机构', '評價機構'],
    guide: ['办事指南', '辦事指南'], document: ['政策文件', '政策文件'],
    office: ['服务窗口', '服務窗口'], page: ['页面', '頁面']
  };
  var TEXT = {
    found: ['找到 %d 条结果', '找到 %d 筆結果'], none: ['没有找到相关内容', '沒有找到相關內容'],
    fail: ['搜索暂时不可用，请使用下方的完整列表', '搜尋暫時無法使用，請使用下方的完整列表']
  };

  function isHan(c) {
    return c >= 0x3400 && c <= 0x4DBF || c >= 0x4E00 && c <= 0x9FFF ||
      c >= 0xF900 && c <= 0xFAFF || c >= 0x20000 && c <= 0x3134F;
  }
  function isWord(c) { return c >= 48 && c <= 57 || c >= 65 && c <= 90 || c >= 97 && c <= 122; }
  function lower(s) { return s.replace(/[A-Z]+/g, function (m) { return m.toLowerCase(); }); }

  // cut splits text into query units: [kind, string], kind 0 a bigram,
  // 1 a lone Han character, 2 an ASCII token (matched by prefix).
  function cut(text) {
    var cs = Array.from(text.normalize('NFKC')), cp = cs.map(function (c) { return c.codePointAt(0); });
    var out = [], i = 0, j, k;
    while (i < cs.length) {
      if (isHan(cp[i])) {
        for (j = i; j < cs.length && isHan(cp[j]); j++);
        if (j - i === 1) out.push([1, cs[i]]);
        for (k = i; k + 1 < j; k++) out.push([0, cs[k] + cs[k + 1]]);
        i = j;
      } else if (isWord(cp[i])) {
        for (j = i; j < cs.length && (isWord(cp[j]) || (cp[j] === 45 || cp[j] === 46) && j + 1 < cs.length && isWord(cp[j + 1])); j++);
        out.push([2, lower(cs.slice(i, j).join('')).slice(0, 32)]);
        i = j;
      } else i++;
    }
    return out;
  }

  function prepare(ix) {
    ix.keys = Object.keys(ix.terms);
    ix.docs.forEach(function (d) { d.push(Array.from(d[2]).length); });
    return ix;
  }

  // rank returns the matching documents, best first, as indexes into ix.docs.
  function rank(ix, q) {
    var seen = {}, units = cut(q).filter(function (u) { return !seen[u[1]] && (seen[u[1]] = 1); });
    if (!units.length) return [];
    var acc = new Map();
    units.forEach(function (u) {
      var keys = u[0] === 0 ? (ix.terms[u[1]] ? [u[1]] : []) : ix.keys.filter(function (k) {
        return u[0] === 1 ? k.indexOf(u[1]) >= 0 : k.lastIndexOf(u[1], 0) === 0;
      });
      var hits = new Map();
      keys.forEach(function (k) {
        var v = 0;
        ix.terms[k].forEach(function (dv) { v += dv; hits.set(v >> 1, (hits.get(v >> 1) | 0) | (v & 1)); });
      });
      hits.forEach(function (t, d) {
        var a = acc.get(d) || [0, 0];
        a[0]++; a[1] += t;
        acc.set(d, a);
      });
    });
    var n = units.length, res = [];
    acc.forEach(function (a, d) {
      if (a[0] >= Math.ceil(n / 2)) res.push([d, 2 * a[0] + a[1] + (a[1] === n ? 2 * n : 0), ix.docs[d][4]]);
    });
    res.sort(function (x, y) { return y[1] - x[1] || x[2] - y[2] || x[0] - y[0]; });
    return res.map(function (r) { return r[0]; });
  }

  if (typeof module === 'object' && module.exports) module.exports = { cut: cut, rank: rank, prepare: prepare };
  if (typeof document === 'undefined') return;

  var hant = /hant|tw|hk/i.test(document.documentElement.lang) ? 1 : 0;
  var loads = {};
  function load(url) {
    if (!loads[url]) {
      loads[url] = fetch(url).then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      }).then(prepare);
    }
    return loads[url];
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (a) { e.setAttribute(a, attrs[a]); });
    if (text) e.textContent = text;
    return e;
  }
  function docURL(ix, d) { return ix.prefixes[ix.docs[d][0]] + ix.docs[d][1]; }
  function entry(ix, d, parent) {
    var doc = ix.docs[d], k = LABELS[ix.kinds[doc[3]]];
    parent.appendChild(el('span', { 'class': 'search-kind' }, k ? k[hant] : ix.kinds[doc[3]]));
    parent.appendChild(document.createTextNode(' ' + doc[2]));
    return parent;
  }

  function setup(input, n) {
    var url = input.getAttribute('data-search-index');
    var page = document.getElementById('search-results');
    var id = (input.id || 'search') + '-list-' + n;
    var list = el('ul', { id: id, role: 'listbox', 'class': 'search-suggest', hidden: '' });
    var status = el('p', { role: 'status', 'class': 'search-status' });
    var ix = null, items = [], active = -1;
    if (!page) {
      input.setAttribute('role', 'combobox');
      input.setAttribute('aria-autocomplete', 'list');
      input.setAttribute('aria-expanded', 'false');
      input.setAttribute('aria-controls', id);
      input.setAttribute('autocomplete', 'off');
      // Visually hidden but read out: the count of results.
      ['position:absolute', 'width:1px', 'height:1px', 'overflow:hidden', 'clip:rect(0 0 0 0)', 'white-space:nowrap'].forEach(function (s) {
        var p = s.split(':');
        status.style.setProperty(p[0], p[1]);
      });
      // After the button, so the input and its button stay together.
      (input.form || input.parentNode).appendChild(list);
      list.insertAdjacentElement('afterend', status);
      // Keep the focus in the input, so that a click reaches the option.
      list.addEventListener('mousedown', function (e) { e.preventDefault(); });
      list.addEventListener('click', function (e) {
        var li = e.target.closest('[data-href]');
        if (li) location.href = li.getAttribute('data-href');
      });
    }

    function select(i) {
      if (items[active]) {
        items[active].setAttribute('aria-selected', 'false');
        items[active].style.outline = '';
      }
      active = i;
      if (items[i]) {
        items[i].setAttribute('aria-selected', 'true');
        // Visible whatever the stylesheet says: the keyboard's place.
        items[i].style.outline = '2px solid currentColor';
        input.setAttribute('aria-activedescendant', items[i].id);
        items[i].scrollIntoView({ block: 'nearest' });
      } else input.removeAttribute('aria-activedescendant');
    }
    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      select(-1);
    }
    function show() {
      var q = input.value.trim(), ds = q ? rank(ix, q) : [];
      if (page) {
        page.textContent = '';
        if (!q) return;
        page.appendChild(el('p', {}, ds.length ? TEXT.found[hant].replace('%d', ds.length) : TEXT.none[hant]));
        var ol = page.appendChild(el('ol', { 'class': 'search-results' }));
        ds.slice(0, 100).forEach(function (d) {
          entry(ix, d, ol.appendChild(el('li')).appendChild(el('a', { href: docURL(ix, d) })));
        });
        return;
      }
      list.textContent = '';
      items = ds.slice(0, 10).map(function (d, i) {
        return list.appendChild(entry(ix, d, el('li', { id: id + '-' + i, role: 'option', 'aria-selected': 'false', 'data-href': docURL(ix, d) })));
      });
      active = -1;
      status.textContent = q ? (ds.length ? TEXT.found[hant].replace('%d', ds.length) : TEXT.none[hant]) : '';
      if (items.length) {
        list.hidden = false;
        input.setAttribute('aria-expanded', 'true');
      } else close();
    }
    function update() {
      load(url).then(function (x) { ix = x; show(); }, function () {
        (page || status).textContent = TEXT.fail[hant];
      });
    }

    // Enter on a selected option follows it rather than submitting the
    // search (a keydown that some input methods deliver without a cancel).
    if (input.form) input.form.addEventListener('submit', function (e) {
      if (!page && items[active]) {
        e.preventDefault();
        location.href = items[active].getAttribute('data-href');
      }
    });
    input.addEventListener('focus', function () { load(url).catch(function () {}); });
    // While a Chinese input method composes (pinyin, zhuyin), the box
    // holds Latin letters: search when the characters are chosen.
    function typed(e) {
      if (e.isComposing) return;
      if (page && history.replaceState) history.replaceState(null, '', '?q=' + encodeURIComponent(input.value));
      update();
    }
    input.addEventListener('input', typed);
    input.addEventListener('compositionend', typed);
    input.addEventListener('blur', close);
    input.addEventListener('keydown', function (e) {
      if (e.isComposing || page || list.hidden && e.key !== 'ArrowDown') return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        if (list.hidden) return update();
        var i = active + (e.key === 'ArrowDown' ? 1 : -1);
        select(i >= items.length ? 0 : i < 0 ? items.length - 1 : i);
      } else if (e.key === 'Enter' && items[active]) {
        e.preventDefault();
        location.href = items[active].getAttribute('data-href');
      } else if (e.key === 'Escape') {
        e.preventDefault();
        close();
      }
    });
    if (page) {
      var q = new URLSearchParams(location.search).get('q');
      if (q) {
        input.value = q;
        update();
      }
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll('input[data-search-index]'), setup);
})();
