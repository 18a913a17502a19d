// "Add a field" on the metadata schema editor: clones the formset's empty form as a new field card.
(function () {
  "use strict";
  const button = document.getElementById("schema-add");
  const template = document.getElementById("schema-empty-row");
  const rows = document.getElementById("schema-rows");
  const total = document.getElementById("id_fields-TOTAL_FORMS");
  if (!button || !template || !rows || !total) return;
  button.addEventListener("click", function () {
    const index = parseInt(total.value, 10);
    const html = template.innerHTML
      .replace(/__prefix__/g, String(index))
      .replace(/__number__/g, String(index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const card = rows.lastElementChild;
    const first = card && card.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  });
})();
