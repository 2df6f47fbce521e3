/* livegate.js: progressive enhancement of the server-rendered page.
 *
 * Without this file the page works the same, with full page loads: the form is
 * a GET form, so the answer's URL holds the whole profile. With it:
 *  - the form and the "what if I also had..." links fetch the answer from the
 *    same URL and swap it in; history.pushState keeps every answer in the
 *    browser's history, so the back button returns to the previous answer; a screen left by its
 *    form is first kept in its history entry as it was left, so the back button returns to what was
 *    ticked there;
 *  - empty fields are left out of the URL (the server's redirect does the
 *    rest: sub-questions into documents, the next screen);
 *  - copy-link and print buttons; the link shown and copied is absolute (the
 *    server writes it relative unless PUBLIC_URL is set), so it still leads
 *    here when pasted into a chat or an email.
 * Nothing is decided here: every answer is the server's HTML. No request
 * leaves this origin.
 */
(function () {
  "use strict";

  var current = location.pathname + location.search;
  var pending = null;

  function absolute(href) {
    try { return new URL(href, location.href).href; } catch (e) { return href; }
  }

  function showJsOnly(root) {
    root.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
    var share = root.querySelector("#share-url");
    if (share) share.value = absolute(share.value);
    // the printed checklist's link: a relative one is useless on paper
    root.querySelectorAll("[data-absolute]").forEach(function (el) { el.textContent = absolute(el.textContent); });
  }

  function formUrl(form, submitter) {
    var params = new URLSearchParams();
    var data;
    try { data = new FormData(form, submitter || undefined); } catch (e) {
      data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    }
    data.forEach(function (value, key) {
      if (typeof value === "string" && value.trim() !== "") params.append(key, value.trim());
    });
    var query = params.toString();
    return (form.getAttribute("action") || location.pathname) + (query ? "?" + query : "");
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var old = document.querySelector("main");
    if (!fresh || !old) return false;
    old.replaceWith(document.importNode(fresh, true));
    document.title = doc.title;
    document.documentElement.lang = doc.documentElement.lang;
    var head = doc.querySelector("header"), oldHead = document.querySelector("header");
    if (head && oldHead) oldHead.replaceWith(document.importNode(head, true));
    var foot = doc.querySelector("footer"), oldFoot = document.querySelector("footer");
    if (foot && oldFoot) oldFoot.replaceWith(document.importNode(foot, true));
    showJsOnly(document);
    return true;
  }

  // where a page that has just come puts focus, whether a link or the form brought it or the back and
  // forward buttons did: its errors; else the answer's first words in reading order (a what-if answer's
  // notice, with its undo, and the condition the answer rests on sit above its heading), so a screen
  // reader reads notice, condition, heading in turn; else the screen's heading
  function focusAnswer() {
    var target = document.getElementById("errors") ||
      document.querySelector("#whatif-banner, #verdict-condition, #answer-title") ||
      document.getElementById("step-title");
    if (target) {
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus({preventScroll: true});
      target.scrollIntoView({block: "start"});
    }
  }

  function navigate(url, push) {
    if (pending) pending.abort();
    var controller = new AbortController();
    pending = controller;
    var hash = url.indexOf("#") >= 0 ? url.slice(url.indexOf("#")) : "";
    document.documentElement.setAttribute("aria-busy", "true");
    fetch(url, {headers: {"Accept": "text/html"}, credentials: "same-origin", signal: controller.signal})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("text/html") !== 0) throw new Error("not a page");
        return response.text().then(function (text) { return {url: response.url, text: text}; });
      })
      .then(function (result) {
        // a history step (push false) that the visitor has since left (back, then forward before it
        // came): neither shown nor written over the entry now current
        if (!push && location.pathname + location.search !== url.split("#")[0]) return;
        if (!swap(result.text)) throw new Error("no main");
        var landed = new URL(result.url || url, location.href);
        current = landed.pathname + landed.search;
        if (push) history.pushState({livegate: current}, "", current + hash);
        else history.replaceState({livegate: current}, "", current + location.hash);
        focusAnswer();  // back and forward too: focus left on the page taken away fell to <body>
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") return;
        location.assign(url);  // fall back to a plain page load
      })
      .finally(function () {
        if (pending === controller) {
          pending = null;
          document.documentElement.removeAttribute("aria-busy");
        }
      });
  }

  function plainClick(event) {
    return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "profile") return;
    event.preventDefault();
    // the screen as it is left, ticks included, kept in its own history entry: the back button (a swipe on
    // a phone) returns to it as it was, not as it first came (the server shows it again without a button)
    var left = formUrl(form, null);
    history.replaceState({livegate: left}, "", left);
    current = left;
    navigate(formUrl(form, event.submitter), true);
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-enhance]");
    if (link && plainClick(event)) {
      event.preventDefault();
      navigate(link.getAttribute("href"), true);
      return;
    }
    var copy = event.target.closest("button.copy");
    if (copy) {
      var input = document.getElementById("share-url");
      input.value = absolute(input.value);
      var done = function () { copy.textContent = copy.getAttribute("data-copied"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
      } else {
        input.select();
        try { if (document.execCommand("copy")) done(); } catch (e) { /* the text stays selected */ }
      }
      return;
    }
    if (event.target.closest("button.print-button")) window.print();
  });

  window.addEventListener("popstate", function () {
    var here = location.pathname + location.search;
    if (here === current) return;  // only the fragment changed
    navigate(here, false);
  });

  // roles belong to one subject type: those under another type are neither sent nor ticked
  function syncRoles() {
    document.querySelectorAll("#profile fieldset.roles[data-subject]").forEach(function (box) {
      var radio = document.getElementById("subject-" + box.getAttribute("data-subject"));
      var on = !!(radio && radio.checked);
      box.querySelectorAll("input[type=checkbox]").forEach(function (input) { input.disabled = !on; });
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "subject") syncRoles();
  });

  new MutationObserver(syncRoles).observe(document.documentElement, {childList: true, subtree: true});
  syncRoles();

  history.replaceState({livegate: current}, "", location.href);
  showJsOnly(document);
  document.documentElement.classList.add("js");
})();
