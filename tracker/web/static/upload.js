// Evidence upload: drag and drop onto the file field, a progress bar while the files stream,
// and the server's field errors shown beside their fields. Without JavaScript the form posts
// normally and the server renders the same errors.
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload]");
  if (!form) return;
  var input = document.getElementById("files");
  var zone = document.getElementById("dropzone");
  var chosen = document.getElementById("chosen");
  var progress = document.getElementById("progress");
  var progressText = document.getElementById("progress-text");
  var status = document.getElementById("form-status");

  function listFiles() {
    chosen.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement("li");
      item.textContent = file.name + " (" + Math.ceil(file.size / 1024) + " KiB)";
      chosen.appendChild(item);
    });
  }
  input.addEventListener("change", listFiles);
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    input.files = event.dataTransfer.files;
    listFiles();
  });

  function clearErrors() {
    form.querySelectorAll(".field-error.js").forEach(function (node) { node.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    });
    status.hidden = true;
  }

  function showErrors(errors) {
    status.textContent = "Nothing was uploaded: correct the fields marked below.";
    status.hidden = false;
    Object.keys(errors).forEach(function (name) {
      var field = form.querySelector("[name='" + name + "']") || input;
      var message = document.createElement("p");
      message.className = "field-error js";
      message.id = name + "-error";
      message.setAttribute("role", "alert");
      var value = errors[name];
      message.textContent = Array.isArray(value) ? value.join(" ") : JSON.stringify(value);
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", message.id);
      (field === input ? zone : field).insertAdjacentElement("afterend", message);
    });
    var first = form.querySelector("[aria-invalid]");
    if (first) first.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.setRequestHeader("Accept", "application/json");
    progress.hidden = false;
    progress.value = 0;
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        progress.value = Math.round((e.loaded / e.total) * 100);
        progressText.textContent = progress.value + " % uploaded";
      }
    });
    request.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(request.responseText); } catch (ignored) { /* not JSON */ }
      if (request.status === 200 && body.redirect) {
        progress.value = 100;
        progressText.textContent = "Upload complete";
        // A moment to see it finish, then the new evidence.
        window.setTimeout(function () { window.location.assign(body.redirect); }, 400);
      } else if (body.errors) {
        progressText.textContent = "";
        progress.hidden = true;
        showErrors(body.errors);
      } else {
        progress.hidden = true;
        status.textContent = "The upload failed (" + request.status + "). " + (body.detail || "");
        status.hidden = false;
      }
    });
    request.addEventListener("error", function () {
      progress.hidden = true;
      status.textContent = "The upload was interrupted; nothing was kept. Try again.";
      status.hidden = false;
    });
    request.send(new FormData(form));
  });
})();
