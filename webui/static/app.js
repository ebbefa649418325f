/* govsearch: a little progressive enhancement. Pages work fully without it. */
(function () {
  "use strict";

  function fallbackCopy(text) {
    var ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.className = "offscreen";
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(ta);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  function announce(msg) {
    var s = document.getElementById("copy-status");
    if (s) { s.textContent = msg; }
  }

  function setupCite(btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var unit = btn.closest(".unit");
      var body = unit ? unit.querySelector(".u-text") : null;
      var text = (body ? body.textContent : "").trim() + "\n" + (btn.getAttribute("data-cite") || "");
      copy(text).then(function () {
        btn.textContent = "已复制";
        btn.classList.add("done");
        announce("已复制引用");
        window.setTimeout(function () { btn.textContent = "复制引用"; btn.classList.remove("done"); }, 2000);
      }, function () {
        announce("复制失败，请手动选择文字复制");
        btn.textContent = "复制失败";
      });
    });
  }

  // the controls Tab stops at inside an element, in order (those in a closed <details> are not shown)
  function tabStops(root) {
    var all = root.querySelectorAll("a[href], button, summary, input, select, textarea, [tabindex]");
    return Array.prototype.filter.call(all, function (el) {
      return el.tabIndex >= 0 && !el.disabled && el.getClientRects().length > 0;
    });
  }

  // Tab and Shift+Tab go round the open panel's own controls: the page it covers is out of reach
  function keepFocusIn(panel, ev) {
    var stops = tabStops(panel);
    if (!stops.length) { return; }
    var at = document.activeElement;
    var inside = panel.contains(at) && at !== panel;
    if (ev.shiftKey && (!inside || at === stops[0])) {
      ev.preventDefault();
      stops[stops.length - 1].focus();
    } else if (!ev.shiftKey && (!inside || at === stops[stops.length - 1])) {
      ev.preventDefault();
      stops[0].focus();
    }
  }

  // phones: the 筛选 link opens the facets as a panel (without script it jumps to them);
  // open, the panel is a modal dialog over the page, closed it is the sidebar again
  function setupFacetPanel(opener) {
    var panel = document.getElementById("facets");
    if (!panel) { return; }
    var close = panel.querySelector(".facets-close");
    function isOpen() { return document.body.classList.contains("facets-open"); }
    function setOpen(open) {
      document.body.classList.toggle("facets-open", open);
      opener.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        panel.setAttribute("role", "dialog");
        panel.setAttribute("aria-modal", "true");
      } else {
        panel.removeAttribute("role");
        panel.removeAttribute("aria-modal");
      }
      if (close) { close.hidden = !open; }
      if (open) { panel.focus(); } else { opener.focus(); }
    }
    opener.addEventListener("click", function (ev) {
      ev.preventDefault();
      setOpen(true);
    });
    if (close) { close.addEventListener("click", function () { setOpen(false); }); }
    document.addEventListener("keydown", function (ev) {
      if (!isOpen()) { return; }
      if (ev.key === "Escape") { setOpen(false); }
      else if (ev.key === "Tab") { keepFocusIn(panel, ev); }
    });
  }

  // 在本报告中查找: step through every mark the server placed, the current one marked
  // and scrolled into view; arriving at a hit (#p-N) starts from that paragraph's first mark
  function setupFind(form) {
    var marks = Array.prototype.slice.call(document.querySelectorAll("article.report mark"));
    var prev = form.querySelector(".find-prev");
    var next = form.querySelector(".find-next");
    var pos = form.querySelector(".find-pos");
    if (!marks.length || !prev || !next) { return; }
    prev.hidden = false;
    next.hidden = false;
    var current = -1;
    function select(i, scroll) {
      if (current >= 0) { marks[current].classList.remove("current"); }
      current = (i + marks.length) % marks.length;
      var m = marks[current];
      m.classList.add("current");
      if (scroll) { m.scrollIntoView({block: "center"}); }
      if (pos) { pos.textContent = "，当前第 " + (current + 1) + " / " + marks.length + " 处"; }
    }
    next.addEventListener("click", function () { select(current + 1, true); });
    prev.addEventListener("click", function () { select(current < 0 ? -1 : current - 1, true); });
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    if (target) {
      var first = marks.findIndex(function (m) { return target.contains(m); });
      if (first >= 0) { select(first, false); }
    }
  }

  // the sticky 查找 bar is as tall as its wrapped lines (143 px on a phone): --find-bar follows
  // its height, so that the paragraph jumped to (#p-N, 目录) lands below it (style.css)
  function trackFindBar(bar) {
    var root = document.documentElement;
    function update() { root.style.setProperty("--find-bar", bar.offsetHeight + "px"); }
    update();
    if (window.ResizeObserver) { new ResizeObserver(update).observe(bar); }
    window.addEventListener("resize", update);
    // the browser may have jumped to #p-N before the height was known: jump again, below the bar
    // (not on Back or reload, where the browser puts the reader back where they had scrolled to)
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    var how = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    if (target && (!how || how.type === "navigate")) { target.scrollIntoView(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var find = document.querySelector("form.find");
    if (find) { setupFind(find); }
    var bar = document.querySelector("form.find.finding");
    if (bar) { trackFindBar(bar); }
    Array.prototype.forEach.call(document.querySelectorAll("button.cite[data-cite]"), setupCite);
    var opener = document.querySelector("a.filter-open");
    if (opener) { setupFacetPanel(opener); }
  });
})();
