/* A "Copy" button beside a secret shown once: the page works without it (select and copy). */
document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.dataset.copy);
  if (!field || !navigator.clipboard) { return; }
  var label = button.textContent;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = button.dataset.done;
      setTimeout(function () { button.textContent = label; }, 2500);
    }, function () { field.select(); });
  });
});
