// The editor's page: no build step, no dependencies; everything is served by the package.
(function () {
  "use strict";
  var form = document.getElementById("request");
  var status = document.getElementById("status");
  var passage = document.getElementById("passage");

  // The token (where the server asks for one) lives in this tab's sessionStorage:
  // it belongs to this origin, port included, unlike a cookie.
  function token() {
    return sessionStorage.getItem("summarize_token");
  }

  function authorization() {
    var t = token();
    return t ? {Authorization: "Bearer " + t} : {};
  }

  // Only the languages the served model can write are offered for the summary.
  fetch("/readyz").then(function (r) { return r.json(); }).then(function (ready) {
    if (!ready.summary_languages) return;
    var select = document.getElementById("target_lang");
    Array.prototype.forEach.call(select.options, function (option) {
      if (option.value && ready.summary_languages.indexOf(option.value) < 0) option.remove();
    });
  }).catch(function () {});

  // The API's errors name its fields (lang='en'); an editor sees this page's controls.
  var CONTROLS = {lang: "Language of the article", target_lang: "Language of the summary", method: "How to summarise"};
  var NAMES = {en: "English", uk: "Ukrainian", ru: "Russian", lead: "first sentences (lead)", textrank: "central sentences (TextRank)",
               abstractive: "write a summary"};
  function inPageWords(message) {
    return message.replace(/(?:pass |use )?\b(lang|target_lang|method)='([^']*)'/g, function (_, field, value) {
      return "choose \u201c" + (NAMES[value] || value) + "\u201d under \u201c" + CONTROLS[field] + "\u201d";
    }).replace(/model='crosssum'/g, "a server running the crosssum model");
  }

  // Does the server want a token this tab does not have (or has wrong)? Then sign in first.
  fetch("/openapi.json", {headers: authorization()}).then(function (response) {
    if (response.status === 401) location.replace(token() ? "/signin?again=1" : "/signin");
  });

  function chosenSource() {
    return form.querySelector("input[name=source]:checked").value;
  }

  function showSource() {
    var source = chosenSource();
    ["text", "html", "url"].forEach(function (name) {
      form.querySelectorAll(".source-" + name).forEach(function (el) { el.hidden = name !== source; });
    });
  }
  form.querySelectorAll("input[name=source]").forEach(function (el) { el.addEventListener("change", showSource); });

  function readFile(input) {
    return new Promise(function (resolve, reject) {
      var file = input.files && input.files[0];
      if (!file) { reject(new Error("choose a saved page (.html) first")); return; }
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { reject(new Error("the file cannot be read")); };
      reader.readAsText(file);
    });
  }

  function body() {
    var source = chosenSource();
    var request = {include_source: true};
    var target = document.getElementById("target_lang").value;
    var method = document.getElementById("method").value;
    var lang = document.getElementById("lang").value;
    if (target) request.target_lang = target;
    if (lang) request.lang = lang;
    if (method) request.method = method;
    if (source === "html") {
      return readFile(document.getElementById("html")).then(function (html) { request.html = html; return request; });
    }
    request[source] = document.getElementById(source).value;
    return Promise.resolve(request);
  }

  function append(parent, tag, text, cls) {
    var el = document.createElement(tag);
    if (text !== undefined) el.textContent = text;
    if (cls) el.className = cls;
    parent.appendChild(el);
    return el;
  }

  function renderSource(text, facts) {
    var box = document.getElementById("source");
    box.textContent = "";
    var spans = facts.filter(function (f) { return f.supported && f.evidence_start !== null; })
      .sort(function (a, b) { return a.evidence_start - b.evidence_start; });
    var at = 0;
    spans.forEach(function (f) {
      if (f.evidence_start < at) return;
      box.appendChild(document.createTextNode(text.slice(at, f.evidence_start)));
      var ev = append(box, "mark", text.slice(f.evidence_start, f.evidence_end), "evidence");
      ev.id = "evidence-" + f.index;
      at = f.evidence_end;
    });
    box.appendChild(document.createTextNode(text.slice(at)));
  }

  function describe(mark, fact) {
    passage.textContent = "";
    append(passage, "strong", fact.supported ? "Supported by the article:" : "Not supported by the article. The closest passage:");
    var p = append(passage, "p");
    var text = fact.passage || "";
    var start = fact.supported && fact.evidence_start !== null ? fact.evidence_start - fact.passage_start : -1;
    if (start >= 0 && start < text.length) {
      p.appendChild(document.createTextNode(text.slice(0, start)));
      append(p, "mark", text.slice(start, start + (fact.evidence_end - fact.evidence_start)), "evidence");
      p.appendChild(document.createTextNode(text.slice(start + (fact.evidence_end - fact.evidence_start))));
    } else {
      p.textContent = text;
    }
    var box = mark.getBoundingClientRect();
    passage.hidden = false;
    passage.style.top = (window.scrollY + box.bottom + 6) + "px";
    passage.style.left = Math.max(8, Math.min(window.scrollX + box.left, window.innerWidth - passage.offsetWidth - 8)) + "px";
  }

  function renderSummary(result) {
    var summary = document.getElementById("summary");
    summary.textContent = "";
    var text = result.summary || "";
    var facts = (result.facts || []).map(function (f, i) { f.index = i; return f; });
    var at = 0;
    facts.slice().sort(function (a, b) { return a.start - b.start; }).forEach(function (f) {
      if (f.start < at) return;
      summary.appendChild(document.createTextNode(text.slice(at, f.start)));
      var mark;
      if (f.supported && f.evidence_start !== null) {
        mark = append(summary, "a", text.slice(f.start, f.end), "fact supported");
        mark.href = "#evidence-" + f.index;
        mark.addEventListener("click", function () { document.getElementById("source-box").open = true; });
      } else {
        mark = append(summary, "mark", text.slice(f.start, f.end), "fact " + (f.supported ? "supported" : "unsupported"));
        mark.tabIndex = 0;
      }
      mark.setAttribute("aria-describedby", "passage");
      mark.setAttribute("aria-label", f.text + ": " + f.kind + (f.supported ? ", supported" : ", not supported by the article"));
      mark.dataset.kind = f.kind;
      ["mouseenter", "focus"].forEach(function (ev) { mark.addEventListener(ev, function () { describe(mark, f); }); });
      ["mouseleave", "blur"].forEach(function (ev) { mark.addEventListener(ev, function () { passage.hidden = true; }); });
      at = f.end;
    });
    summary.appendChild(document.createTextNode(text.slice(at)));
    var unsupported = facts.filter(function (f) { return !f.supported; }).length;
    document.getElementById("legend").textContent = facts.length
      ? facts.length + " facts checked; " + unsupported + " not supported by the article."
      : "No numbers, dates or names to check.";
    document.getElementById("title").textContent = result.title || "";
    renderSource(result.source || "", facts);
    document.getElementById("result").hidden = false;
  }

  document.addEventListener("keydown", function (event) { if (event.key === "Escape") passage.hidden = true; });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = document.getElementById("go");
    button.disabled = true;
    status.textContent = "Summarising…";
    body().then(function (request) {
      var headers = Object.assign({"Content-Type": "application/json"}, authorization());
      return fetch("/v1/summarize", {method: "POST", headers: headers, body: JSON.stringify(request)});
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || ("the server answered " + response.status));
        return data;
      });
    }).then(function (result) {
      status.className = "";
      status.textContent = "Done in " + (result.seconds || 0).toFixed(1) + " s.";
      renderSummary(result);
      var section = document.getElementById("result");
      section.scrollIntoView({block: "start"});  // a phone: the summary is below the form
      document.getElementById("summary").focus({preventScroll: true});
    }).catch(function (error) {
      status.className = "error";
      status.textContent = "Error: " + inPageWords(error.message);
    }).finally(function () { button.disabled = false; });
  });
  showSource();
})();
