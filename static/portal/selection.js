// The user list's "select every user on this page" box. Each row's own box works without scripts; this
// one needs them, so it stays hidden until this runs. It also shows when only some rows are selected.
(function () {
  "use strict";
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    const form = all.dataset.selectAll;
    const boxes = function () {
      return Array.from(document.querySelectorAll('input[type="checkbox"][name="user"][form="' + form + '"]'));
    };
    const show = function () {
      const chosen = boxes().filter(function (box) { return box.checked; }).length;
      all.checked = chosen > 0 && chosen === boxes().length;
      all.indeterminate = chosen > 0 && !all.checked;
    };
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
    });
    boxes().forEach(function (box) { box.addEventListener("change", show); });
    show();
  });
})();
