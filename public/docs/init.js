/** Renders /openapi.json with the same-origin Swagger UI bundle (no validator badge: it calls out). */
globalThis.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger",
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
  persistAuthorization: true,
});
