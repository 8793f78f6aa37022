// Rally's only script besides htmx: confirmations for destructive forms and
// the CSRF header on htmx requests. No inline scripts (the CSP forbids them).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  }
});
document.addEventListener("click", function (event) {
  var target = event.target.closest ? event.target.closest("[data-print]") : null;
  if (target) {
    event.preventDefault();
    window.print();
  }
});
// The segment builder on the campaign form fills the form's segment field.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-use-segment]") : null;
  if (!button) {
    return;
  }
  var field = document.getElementById("segment");
  if (field) {
    field.value = button.getAttribute("data-use-segment");
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  }
});
