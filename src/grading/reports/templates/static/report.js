// Filters for the report pages: each <fieldset data-filter="NAME"> lists the values of NAME to
// show; an element with data-filterable is shown only when every group has its data-NAME
// value checked. Highlights in the source text lose their colour instead of disappearing, so
// the text stays readable; while a filter leaves anything out, passages (.row) without a shown
// claim fold away, so the matching claims are not lost in a long page.
// No inline handlers: the pages' CSP allows this file and nothing else.
(function () {
  "use strict";

  function checked(form) {
    var groups = {};
    form.querySelectorAll("fieldset[data-filter]").forEach(function (fs) {
      var values = new Set();
      fs.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        if (box.checked) values.add(box.value);
      });
      groups[fs.getAttribute("data-filter")] = values;
    });
    return groups;
  }

  function apply(form) {
    var groups = checked(form);
    var shown = 0;
    var total = 0;
    document.querySelectorAll("[data-filterable]").forEach(function (el) {
      var visible = Object.keys(groups).every(function (name) {
        return groups[name].has(el.getAttribute("data-" + name));
      });
      el.classList.toggle("filtered-out", !visible);
      if (el.hasAttribute("data-card")) {
        total += 1;
        if (visible) shown += 1;
      }
    });
    var narrowed = form.querySelector("fieldset[data-filter] input[type=checkbox]:not(:checked)") !== null;
    document.querySelectorAll(".row").forEach(function (row) {
      row.classList.toggle("folded", narrowed && row.querySelector("[data-card]:not(.filtered-out)") === null);
    });
    var out = form.querySelector("output[data-shown]");
    if (out) out.textContent = shown + " of " + total + " " + out.getAttribute("data-noun") + " shown";
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.filters").forEach(function (form) {
      form.hidden = false;
      form.addEventListener("change", function () { apply(form); });
      // "reset" fires before the boxes are restored; apply once they are.
      form.addEventListener("reset", function () { setTimeout(function () { apply(form); }, 0); });
      apply(form);
    });
  });
})();
