// The sign-in form: the token stays in this tab's sessionStorage, which belongs to
// this origin (scheme, host and port), so no other service on this machine can
// read it (a cookie would go to every port of 127.0.0.1).
(function () {
  "use strict";
  if (new URLSearchParams(location.search).has("again")) document.getElementById("again").hidden = false;
  document.getElementById("signin").addEventListener("submit", function (event) {
    event.preventDefault();
    sessionStorage.setItem("summarize_token", document.getElementById("token").value);
    location.replace("/");
  });
})();
