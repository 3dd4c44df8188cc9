// Filters by verdict and area: checkboxes and a select toggle `hidden` on every element that
// carries data-verdict and data-area (the case rows and the case sections). Without this
// script the filter form stays hidden and every case is shown.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var boxes = form.querySelectorAll("input[data-v]");
  var area = document.getElementById("area");
  var shown = document.getElementById("shown");
  var items = document.querySelectorAll("[data-verdict][data-area]");
  function apply() {
    var on = {};
    for (var i = 0; i < boxes.length; i++) { on[boxes[i].getAttribute("data-v")] = boxes[i].checked; }
    var a = area.value;
    var cases = 0, visible = 0;
    for (var j = 0; j < items.length; j++) {
      var el = items[j];
      var show = on[el.getAttribute("data-verdict")] === true && (a === "" || el.getAttribute("data-area") === a);
      el.hidden = !show;
      if (el.tagName === "DETAILS") { cases++; if (show) { visible++; } }
    }
    shown.textContent = visible + " of " + cases + " cases shown";
  }
  form.addEventListener("change", apply);
  form.hidden = false;
  apply();
}());
