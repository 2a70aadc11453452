// On a narrow screen the organisation's navigation folds into a "Menu" button.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target.closest(".menu-toggle");
    if (!button) return;
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    button.closest(".topbar").classList.toggle("open", open);
  });
})();
