// Enter in a field marked data-enter-stays (a picker's search) does not submit its form.
document.addEventListener("keydown", function (event) {
  if (event.key === "Enter" && event.target.matches && event.target.matches("[data-enter-stays]")) {
    event.preventDefault();
  }
});

// Keyboard focus after htmx swaps the part of the page that held it:
// - a matrix cell's button: back on the same cell of the new row, so Enter can go on cycling;
// - a form answered with errors: on its first field in error.
(function () {
  "use strict";
  let cell = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    const td = event.target.closest && event.target.closest("td[data-pipeline][data-team]");
    cell = td ? { pipeline: td.dataset.pipeline, team: td.dataset.team } : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (cell) {
      const selector = 'td[data-pipeline="' + cell.pipeline + '"][data-team="' + cell.team + '"] button';
      const button = document.querySelector(selector);
      cell = null;
      if (button) {
        button.focus();
        return;
      }
    }
    const swapped = event.detail && event.detail.elt;
    if (!swapped || !swapped.querySelector) return;
    const invalid = swapped.querySelector('[aria-invalid="true"], .has-error input, .has-error select, .has-error textarea');
    if (invalid) invalid.focus();
  });
})();
