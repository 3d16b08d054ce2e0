// The API's routes, from /openapi.json (no viewer from a CDN).
(function () {
  "use strict";
  var headers = {};
  var token = sessionStorage.getItem("summarize_token");
  if (token) headers.Authorization = "Bearer " + token;
  fetch("/openapi.json", {headers: headers}).then(function (r) {
    if (r.status === 401) { location.replace("/signin"); throw new Error("sign in first"); }
    return r.json();
  }).then(function (spec) {
    var out = document.getElementById("routes");
    out.textContent = "";
    Object.keys(spec.paths).forEach(function (path) {
      Object.keys(spec.paths[path]).forEach(function (method) {
        var op = spec.paths[path][method];
        var h = document.createElement("h2");
        h.textContent = method.toUpperCase() + " " + path + ": " + op.summary;
        out.appendChild(h);
        var pre = document.createElement("pre");
        pre.textContent = JSON.stringify(op, null, 2);
        out.appendChild(pre);
      });
    });
  });
})();
