// "Copy" buttons beside the API examples: the code block's text goes to the clipboard.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var code = document.getElementById(button.dataset.copy).textContent;
    var status = button.nextElementSibling;
    navigator.clipboard.writeText(code).then(function () {
      status.textContent = status.dataset.copied;
    });
  });
});
