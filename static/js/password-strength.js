// Progressive enhancement: a live hint about the new password's strength. The server decides.
(function () {
  var input = document.getElementById("new");
  var out = document.getElementById("strength");
  if (!input || !out) return;
  var labels = document.documentElement.lang === "en"
    ? ["Too short", "Weak", "Fair", "Strong"]
    : ["Terlalu pendek", "Lemah", "Cukup", "Kuat"];
  input.addEventListener("input", function () {
    var v = input.value, score = 0;
    if (v.length >= 8) score = 1;
    if (v.length >= 12) score++;
    if (v.length >= 16 || (/[a-z]/i.test(v) && /\d/.test(v) && /[^a-z\d]/i.test(v) && v.length >= 10)) score++;
    out.hidden = v.length === 0;
    out.textContent = labels[Math.min(score, 3)];
  });
})();
