// Tooltips for anything carrying `data-message` (matrix badges, stage strips, marked cells):
// shown on hover and on keyboard focus, in the browser's top layer (a popover), so no
// scrolling box or sticky header can clip them. The element's own aria-label already says
// the same to screen readers; the tip is for the eye.
(function () {
  "use strict";
  let tip = null;
  let current = null;

  function ensureTip() {
    if (tip) return tip;
    tip = document.createElement("div");
    tip.id = "tip";
    tip.className = "tip";
    tip.setAttribute("popover", "manual");
    tip.setAttribute("aria-hidden", "true");
    document.body.appendChild(tip);
    return tip;
  }

  function show(target) {
    const message = target.getAttribute("data-message");
    if (!message) return;
    const box = ensureTip();
    current = target;
    box.textContent = message;
    if (!box.matches(":popover-open")) box.showPopover();
    const anchor = target.getBoundingClientRect();
    const width = box.offsetWidth;
    const height = box.offsetHeight;
    let left = Math.min(anchor.left, window.innerWidth - width - 8);
    let top = anchor.bottom + 6;
    if (top + height > window.innerHeight - 8) top = anchor.top - height - 6;
    box.style.left = Math.max(8, left) + "px";
    box.style.top = Math.max(8, top) + "px";
  }

  function hide() {
    current = null;
    if (tip && tip.matches(":popover-open")) tip.hidePopover();
  }

  function messageOf(event) {
    return event.target.closest ? event.target.closest("[data-message]") : null;
  }

  document.addEventListener("mouseover", function (event) {
    const target = messageOf(event);
    if (target) show(target);
  });
  document.addEventListener("mouseout", function (event) {
    if (messageOf(event)) hide();
  });
  document.addEventListener("focusin", function (event) {
    const target = messageOf(event);
    if (target) show(target); else hide();
  });
  document.addEventListener("focusout", hide);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hide();
  });
  // Scrolling (focus scrolls its target into view) moves the tip with its target.
  document.addEventListener("scroll", function () {
    if (current) show(current);
  }, true);
})();
