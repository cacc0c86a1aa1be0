// Progressive enhancement for the quiz: autosave on every choice and a countdown that submits
// at the deadline. Without JavaScript the "Simpan jawaban" and "Kirim jawaban" buttons do the same.
(function () {
  var form = document.getElementById("quiz-form");
  if (!form) return;
  // 'Mulai' answers with this page itself: show (and reload) the attempt's own address, not the POST's.
  var address = form.getAttribute("data-address");
  if (address && window.location.pathname !== address && window.history.replaceState) {
    window.history.replaceState(null, "", address);
  }
  var state = document.getElementById("save-state");
  var saveUrl = form.getAttribute("data-save-url");
  var submitting = false;
  var pending = null;
  // This device's clock minus the server's: from the page as rendered, then from each autosave
  // (a page served from the store can be a few seconds old).
  var skew = 0;

  function save() {
    var data = new FormData(form);
    var sent = Date.now();
    return fetch(saveUrl, {method: "POST", body: data, credentials: "same-origin",
                           headers: {"Accept": "application/json"}})
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (answer) {
        var serverNow = Date.parse(answer.now);
        if (!isNaN(serverNow)) skew = (sent + Date.now()) / 2 - serverNow;
        var t = new Date();
        state.textContent = form.getAttribute("data-saved-text") + " " +
          String(t.getHours()).padStart(2, "0") + "." + String(t.getMinutes()).padStart(2, "0");
      })
      .catch(function () { state.textContent = form.getAttribute("data-error-text"); });
  }

  form.addEventListener("change", function () {
    clearTimeout(pending);
    pending = setTimeout(save, 300);
  });
  var confirmed = document.getElementById("kirim-tetap");

  // Numbers (1-based) of the questions with nothing chosen.
  function blanks() {
    var list = [];
    var questions = form.querySelectorAll("fieldset.question");
    for (var i = 0; i < questions.length; i++) {
      if (!questions[i].querySelector("input:checked")) list.push(i + 1);
    }
    return list;
  }

  form.addEventListener("submit", function (event) {
    if (!event.submitter || event.submitter.id !== "submit-button") return;
    if (submitting) { event.preventDefault(); return; }
    var blank = blanks();
    if (blank.length) {
      var question = form.getAttribute("data-blank-text")
        .replace("{n}", blank.length).replace("{list}", blank.join(", "));
      if (!window.confirm(question)) {
        event.preventDefault();
        var first = document.getElementById("soal-" + blank[0]);
        if (first) { first.scrollIntoView(); var input = first.querySelector("input:not([type=hidden])"); if (input) input.focus(); }
        return;
      }
    }
    if (confirmed) confirmed.value = "1";  // asked here: the server need not ask again
    clearTimeout(pending);  // the submit carries every answer; a later autosave would only be refused
    submitting = true;
  });

  var timer = document.getElementById("timer");
  if (!timer) return;
  var deadline = Date.parse(timer.getAttribute("data-deadline"));
  skew = Date.now() - Date.parse(timer.getAttribute("data-now"));
  function tick() {
    var left = Math.max(0, Math.round((deadline + skew - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    timer.textContent = "(" + m + ":" + String(s).padStart(2, "0") + ")";
    if (left === 0) {
      if (!submitting) { submitting = true; if (confirmed) confirmed.value = "1"; form.submit(); }
      return;
    }
    setTimeout(tick, 1000);
  }
  tick();
})();
