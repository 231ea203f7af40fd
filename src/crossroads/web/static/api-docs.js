// Starts Swagger UI on /api/v1/docs. A file of its own, not an inline script: the CSP (script-src 'self') refuses
// inline scripts. The options are those of FastAPI's own page, less its CDN.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    // Without deep links an operation's path is plain text: as a link it sat inside the operation's own
    // button, an interactive element nested in another that screen readers cannot reach.
    deepLinking: false,
    showExtensions: true,
    showCommonExtensions: true,
    // The validator badge is an image from validator.swagger.io: it would send the document's address away, and
    // the CSP refuses it.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
