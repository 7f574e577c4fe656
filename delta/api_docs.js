// Starts Swagger UI on /api/docs (a file of ours, not an inline script, so a
// "script-src 'self'" policy holds). The page names its OpenAPI document.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // the default asks validator.swagger.io about our document
    showExtensions: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
