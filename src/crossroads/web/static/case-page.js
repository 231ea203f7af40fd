// The case page without a framework: the page works without this file (a move that ends a case then opens
// its confirmation page); with it, that confirmation opens as a dialog, and a link to a folded section
// unfolds it.
(function () {
  "use strict";

  function unfold(id) {
    var target = id && document.getElementById(id);
    var fold = target && target.closest("details");
    if (fold && !fold.open) {
      fold.open = true;
    }
    return target;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a");
    if (!link) {
      return;
    }
    var dialog = link.dataset.dialog && document.getElementById(link.dataset.dialog);
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      dialog.showModal();
      var reason = dialog.querySelector("textarea");
      if (reason) {
        reason.focus();
      }
      return;
    }
    var hash = link.getAttribute("href") || "";
    if (hash.charAt(0) === "#") {
      unfold(hash.slice(1));
    }
  });

  function unfoldFromLocation() {
    var target = unfold(decodeURIComponent(window.location.hash.slice(1)));
    if (target) {
      target.scrollIntoView();
    }
  }

  window.addEventListener("hashchange", unfoldFromLocation);
  unfoldFromLocation();
})();
