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

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("button.cite[data-cite]"), setupCite);
  });
})();
