// The front office's only script of its own: focus on an error summary when a page opens with one, and after
// an htmx swap tell the live region nothing more (htmx's own aria-live targets do that). No framework.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
});
