// Evidence upload: the requirements of the chosen systems update as they are ticked (the same
// fragment the "Next" button loads without JavaScript), long lists get a filter box, files can
// be dropped onto the field, a progress bar shows while they stream, and the server's field
// errors appear beside their fields. Without JavaScript the form posts normally and the server
// renders the same errors. Every text shown comes from the page (data-msg-*), in its language.
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
  var choices = document.getElementById("choices");
  var choicesStatus = document.getElementById("choices-status");
  var agencyWide = document.getElementById("agency_wide");

  function message(name, value) {
    var text = form.getAttribute("data-msg-" + name) || "";
    return value === undefined ? text : text.replace("{n}", value);
  }

  var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 1 });
  function size(bytes) {
    if (bytes < 1024) return form.getAttribute("data-size-bytes").replace("{n}", numbers.format(bytes));
    if (bytes < 1024 * 1024) return form.getAttribute("data-size-kb").replace("{n}", numbers.format(bytes / 1024));
    return form.getAttribute("data-size-mb").replace("{n}", numbers.format(bytes / 1024 / 1024));
  }

  // --- filter boxes for long lists of checkboxes ---
  var filterCount = 0;
  function addFilters(root) {
    root.querySelectorAll("[data-filterable]").forEach(function (box) {
      var items = box.querySelectorAll("li[data-filter-text]");
      if (items.length < 9 || box.querySelector(".filter-box")) return;
      filterCount += 1;
      var id = "filter-" + filterCount;
      var wrap = document.createElement("p");
      wrap.className = "filter-box";
      var label = document.createElement("label");
      label.setAttribute("for", id);
      label.textContent = box.getAttribute("data-filter-label");
      var field = document.createElement("input");
      field.type = "search";
      field.id = id;
      field.autocomplete = "off";
      wrap.appendChild(label);
      wrap.appendChild(field);
      box.insertBefore(wrap, box.firstChild);
      field.addEventListener("input", function () {
        var words = field.value.toLowerCase().trim();
        items.forEach(function (item) {
          var ticked = item.querySelector("input:checked");
          var match = !words || item.getAttribute("data-filter-text").toLowerCase().indexOf(words) >= 0;
          item.hidden = !(match || ticked);
        });
        // Open the framework groups that hold a match, so a search never hides behind a summary.
        if (words) box.querySelectorAll("details").forEach(function (group) {
          if (group.querySelector("li[data-filter-text]:not([hidden])")) group.open = true;
        });
      });
      // Enter in the filter must not submit the form.
      field.addEventListener("keydown", function (event) { if (event.key === "Enter") event.preventDefault(); });
    });
  }
  addFilters(form);

  // --- the requirements follow the chosen systems ---
  document.querySelectorAll("[data-without-js]").forEach(function (node) { node.hidden = true; });
  var systemBoxes = form.querySelectorAll("input[name='system_ids']");
  var pending = null;
  var latest = 0;

  function refreshChoices() {
    var query = new URLSearchParams();
    if (agencyWide.checked) {
      query.append("agency_wide", "on");
    } else {
      systemBoxes.forEach(function (box) { if (box.checked) query.append("system_id", box.value); });
    }
    form.querySelectorAll("input[name='requirement_ids']:checked").forEach(function (box) {
      query.append("requirement_id", box.value);
    });
    var event = document.getElementById("event_id");
    if (event && event.value) query.append("event_id", event.value);
    var ticket = ++latest;
    fetch(form.getAttribute("data-choices-url") + "?" + query.toString(), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.text();
    }).then(function (html) {
      if (ticket !== latest) return; // a newer choice is on its way
      choices.innerHTML = html;
      addFilters(choices);
      choicesStatus.textContent = message("updated");
    }).catch(function () {
      // Keep the list as it is; the "Next" button reloads the page with the right one.
      document.querySelectorAll("[data-without-js]").forEach(function (node) { node.hidden = false; });
    });
  }

  function systemsChanged() {
    systemBoxes.forEach(function (box) { box.disabled = agencyWide.checked; });
    window.clearTimeout(pending);
    pending = window.setTimeout(refreshChoices, 150);
  }
  systemBoxes.forEach(function (box) { box.addEventListener("change", systemsChanged); });
  agencyWide.addEventListener("change", systemsChanged);
  systemBoxes.forEach(function (box) { box.disabled = agencyWide.checked; });

  // --- files ---
  function listFiles() {
    chosen.textContent = "";
    Array.prototype.forEach.call(input.files, function (file) {
      var item = document.createElement("li");
      item.textContent = file.name + " (" + size(file.size) + ")";
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

  // --- errors beside their fields ---
  function clearErrors() {
    form.querySelectorAll(".field-error").forEach(function (node) { node.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
      node.removeAttribute("aria-describedby");
    });
    status.hidden = true;
  }

  function showErrors(errors) {
    status.textContent = message("invalid");
    status.hidden = false;
    Object.keys(errors).forEach(function (name) {
      var fields = form.querySelectorAll("[name='" + name + "']");
      if (!fields.length) fields = [input];
      // A group of checkboxes gets its message after the group, a field right after itself.
      var place = form.querySelector("[data-field='" + name + "']");
      var text = document.createElement("p");
      text.className = "field-error";
      text.id = name + "-error";
      text.setAttribute("role", "alert");
      var value = errors[name];
      text.textContent = Array.isArray(value) ? value.join(" ") : JSON.stringify(value);
      fields.forEach(function (field) {
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", text.id);
      });
      if (place) place.appendChild(text);
      else fields[0].insertAdjacentElement("afterend", text);
    });
    var first = form.querySelector("[aria-invalid]");
    if (first) first.focus();
  }

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.hasAttribute("formmethod")) return; // "Next": a plain GET
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
        progressText.textContent = message("progress", progress.value);
      }
    });
    request.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(request.responseText); } catch (ignored) { /* not JSON */ }
      if (request.status === 200 && body.redirect) {
        progress.value = 100;
        progressText.textContent = message("complete");
        // A moment to see it finish, then the new evidence.
        window.setTimeout(function () { window.location.assign(body.redirect); }, 700);
      } else if (body.errors) {
        progressText.textContent = "";
        progress.hidden = true;
        showErrors(body.errors);
      } else {
        progress.hidden = true;
        status.textContent = message("failed", request.status) + " " + (body.detail || "");
        status.hidden = false;
      }
    });
    request.addEventListener("error", function () {
      progress.hidden = true;
      status.textContent = message("interrupted");
      status.hidden = false;
    });
    request.send(new FormData(form));
  });
})();
