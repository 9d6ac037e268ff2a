// Need form: in each line, show only the fields that apply to the chosen kind (funds: purpose;
// goods: item; services: service type, qualifications, time window). Without JavaScript every
// field stays visible and the server ignores the ones that do not apply.
(function () {
  "use strict";
  function update(line) {
    var kind = line.querySelector("select[name$='-kind']").value;
    line.querySelectorAll("[data-kinds]").forEach(function (cell) {
      var kinds = cell.getAttribute("data-kinds").split(" ");
      cell.hidden = kind !== "" && kinds.indexOf(kind) === -1;
    });
  }
  document.querySelectorAll("fieldset.need-line").forEach(function (line) {
    var select = line.querySelector("select[name$='-kind']");
    if (!select) { return; }
    select.addEventListener("change", function () { update(line); });
    update(line);
  });
}());
