// Filters for the report pages: each <fieldset data-filter="NAME"> lists the values of NAME to
// show; an element with data-filterable is shown only when every group has its data-NAME
// value checked (for a fieldset marked data-multi, data-NAME holds "|"-separated values and
// one checked value is enough). Highlights in the source text lose their colour instead of
// disappearing, so the text stays readable; while a filter leaves anything out, passages
// (.row) without a shown claim fold away, so the matching claims are not lost in a long page.
// Tables marked data-sortable sort by a column when its heading is clicked (numbers from
// data-value, most first). Without JavaScript the filters stay hidden and the tables keep the
// order they were written in. No inline handlers: the pages' CSP allows this file and nothing else.
(function () {
  "use strict";

  function checked(form) {
    var groups = {};
    form.querySelectorAll("fieldset[data-filter]").forEach(function (fs) {
      var values = new Set();
      fs.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        if (box.checked) values.add(box.value);
      });
      groups[fs.getAttribute("data-filter")] = {values: values, multi: fs.hasAttribute("data-multi")};
    });
    return groups;
  }

  function apply(form) {
    var groups = checked(form);
    var shown = 0;
    var total = 0;
    document.querySelectorAll("[data-filterable]").forEach(function (el) {
      var visible = Object.keys(groups).every(function (name) {
        var value = el.getAttribute("data-" + name) || "";
        var group = groups[name];
        return group.multi ? value.split("|").some(function (v) { return group.values.has(v); })
                           : group.values.has(value);
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

  function sortable(table) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    heads.forEach(function (th, column) {
      var kind = th.getAttribute("data-sort");
      if (!kind) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        // Numbers sort most first on the first click, text A-Z; a second click reverses.
        var first = kind === "number" ? "descending" : "ascending";
        var order = th.getAttribute("aria-sort") === first ? (first === "descending" ? "ascending" : "descending") : first;
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", order);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (row) {
          var v = row.cells[column].getAttribute("data-value") || "";
          return kind === "number" ? Number(v) : v.toLowerCase();
        };
        var rank = function (row) { return Number(row.cells[0].getAttribute("data-value")); };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          var c = x < y ? -1 : x > y ? 1 : 0;
          if (order === "descending") c = -c;
          return c || rank(a) - rank(b);  // ties keep the warnings order
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.filters").forEach(function (form) {
      form.hidden = false;
      form.addEventListener("change", function () { apply(form); });
      // "reset" fires before the boxes are restored; apply once they are.
      form.addEventListener("reset", function () { setTimeout(function () { apply(form); }, 0); });
      apply(form);
    });
    document.querySelectorAll("table[data-sortable]").forEach(sortable);
  });
})();
