// Loaded at the top of <body>: tells nhsuk-frontend's CSS that scripts run, before the page is
// drawn. A file rather than an inline script, so the content security policy needs no exception.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
