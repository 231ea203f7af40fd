// The case summary's print button: a file, since the Content-Security-Policy refuses inline scripts.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print-summary");
  if (button) button.addEventListener("click", () => window.print());
});
