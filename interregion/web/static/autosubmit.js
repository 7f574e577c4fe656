// SAML HTTP-POST binding: submit the one form on the page as soon as it is there.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("autopost");
  if (form) { form.submit(); }
});
