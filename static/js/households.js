// Household registration: "Add another member" clones the last member row (names
// members-N-field), so a family of any size can be entered in one form. Without
// JavaScript the form still has four rows and members can be added afterwards.
(function () {
  "use strict";
  function renumber(row, index) {
    row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.replace(/members-\d+-/, "members-" + index + "-"));
        }
      });
    });
    row.querySelectorAll("input").forEach(function (el) { el.value = ""; });
    row.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
    row.querySelectorAll(".is-invalid").forEach(function (el) {
      el.classList.remove("is-invalid");
      el.removeAttribute("aria-invalid");
    });
    row.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    var legend = row.querySelector("legend");
    if (legend && legend.dataset.template) {
      legend.textContent = legend.dataset.template.replace("%d", String(index + 1));
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-add-member]");
    if (!button) { return; }
    var max = parseInt(button.dataset.max || "20", 10);
    button.hidden = false;
    button.addEventListener("click", function () {
      var rows = document.querySelectorAll("[data-member-row]");
      if (rows.length >= max) { button.disabled = true; return; }
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      renumber(copy, rows.length);
      var relation = copy.querySelector("select[name$='-relation']");
      if (relation) { relation.value = "child"; }
      last.after(copy);
      if (rows.length + 1 >= max) { button.disabled = true; }
      var first = copy.querySelector("input");
      if (first) { first.focus(); }
    });
  });
}());
