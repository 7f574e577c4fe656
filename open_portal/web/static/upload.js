// Resumable upload with a progress bar (tus-js-client, served from our origin). A broken
// connection is retried from the offset the server reports; a reload resumes the same file.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.tus) { return; }
  var input = document.getElementById("f-file");
  var bar = document.getElementById("progress");
  var status = document.getElementById("upload-status");
  var button = document.getElementById("upload-button");

  form.addEventListener("submit", function (event) {
    if (document.getElementById("upload-id").value) { return; }  // sent: now save it
    event.preventDefault();
    var file = input.files[0];
    if (!file) { input.focus(); return; }
    button.disabled = true;
    var upload = new tus.Upload(file, {
      endpoint: form.dataset.endpoint,
      chunkSize: Number(form.dataset.chunk || 4 * 1024 * 1024),
      retryDelays: [0, 1000, 2000, 4000, 8000, 15000],
      removeFingerprintOnSuccess: true,
      headers: { "X-CSRF-Token": form.dataset.csrf },
      metadata: { filename: file.name, package_id: form.dataset.package },
      onProgress: function (sent, total) {
        var percent = total ? Math.floor(sent * 100 / total) : 0;
        bar.value = percent;
        bar.textContent = percent + "%";
        status.textContent = status.dataset.sending.replace("{percent}", percent + "%");
      },
      onShouldRetry: function () {
        status.textContent = status.dataset.retrying;
        return true;
      },
      onError: function (error) {
        status.textContent = status.dataset.failed + " " + error.message;
        button.disabled = false;
      },
      onSuccess: function () {
        bar.value = 100;
        status.textContent = status.dataset.done;
        document.getElementById("upload-id").value = upload.url.split("/").pop();
        form.submit();
      }
    });
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) { upload.resumeFromPreviousUpload(previous[0]); }
      upload.start();
    });
  });
})();
