/* Small progressive enhancements; every page works without this file.
 * - [data-deadline]: "42 minutes left to change this order", updated every few seconds; when the time is
 *   up, the order's change buttons say so (the server refuses late requests whatever this script shows).
 * - #id_country + #id_province: only the chosen country's provinces are offered (and the field is
 *   hidden for a country without provinces).
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function fill(template, count) {
    return template.replace("%(count)s", String(count));
  }

  function plural(el, base, count) {
    var one = el.getAttribute("data-" + base + "-one");
    var other = el.getAttribute("data-" + base + "-other");
    return fill(count === 1 ? one : other, count);
  }

  function render(el) {
    var deadline = Date.parse(el.getAttribute("data-deadline"));
    if (isNaN(deadline)) return false;
    var seconds = Math.floor((deadline - Date.now()) / 1000);
    var text;
    if (seconds <= 0) {
      text = el.getAttribute("data-ended");
      var scope = el.closest("[data-order]");
      if (scope) {
        scope.querySelectorAll("[data-change-action]").forEach(function (a) {
          if (Date.parse(a.getAttribute("data-expires")) > Date.now()) return;
          a.setAttribute("aria-disabled", "true");
          a.removeAttribute("href");
        });
      }
    } else if (seconds < 60) {
      text = el.getAttribute("data-under-minute");
    } else if (seconds < 120 * 60) {
      text = plural(el, "minutes", Math.floor(seconds / 60));
    } else if (seconds < 48 * 3600) {
      text = plural(el, "hours", Math.floor(seconds / 3600));
    } else {
      text = plural(el, "days", Math.floor(seconds / 86400));
    }
    var target = el.querySelector("[data-countdown-text]") || el;
    if (target.textContent !== text) target.textContent = text;
    return seconds > 0;
  }

  function startCountdowns() {
    var els = Array.prototype.slice.call(document.querySelectorAll("[data-deadline]"));
    if (!els.length) return;
    function tick() {
      els = els.filter(render);
      if (els.length) window.setTimeout(tick, 5000);
    }
    tick();
  }

  function provinces() {
    var country = document.getElementById("id_country");
    var province = document.getElementById("id_province");
    if (!country || !province) return;
    var wrapper = province.closest(".field");
    // Each group's options are "CC:code": the group belongs to country CC.
    function groupCountry(group) {
      var first = group.querySelector("option");
      return first ? first.value.split(":")[0] : "";
    }
    function update() {
      var chosen = country.value;
      var any = false;
      province.querySelectorAll("optgroup").forEach(function (group) {
        var match = groupCountry(group) === chosen;
        group.hidden = !match;
        group.disabled = !match;
        if (match) any = true;
      });
      var selected = province.options[province.selectedIndex];
      if (selected && selected.value && selected.value.indexOf(chosen + ":") !== 0) province.value = "";
      if (wrapper) wrapper.hidden = !any;
    }
    country.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    startCountdowns();
    provinces();
  });
})();
