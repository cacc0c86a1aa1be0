// Optional drawn signature: a canvas that fills a hidden field with a PNG. Without JavaScript the
// pad stays hidden and the typed name is the signature.
(function () {
  var pad = document.querySelector(".signature-pad");
  var field = document.querySelector("input[name=drawn_signature]");
  if (!pad || !field) return;
  pad.hidden = false;
  var canvas = pad.querySelector("canvas"), ctx = canvas.getContext("2d"), drawing = false, drawn = false;
  ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#1b2430";
  function point(e) {
    var r = canvas.getBoundingClientRect();
    return {x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height};
  }
  canvas.addEventListener("pointerdown", function (e) { drawing = true; var p = point(e); ctx.beginPath(); ctx.moveTo(p.x, p.y); canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener("pointermove", function (e) { if (!drawing) return; var p = point(e); ctx.lineTo(p.x, p.y); ctx.stroke(); drawn = true; });
  canvas.addEventListener("pointerup", function () { drawing = false; if (drawn) field.value = canvas.toDataURL("image/png"); });
  pad.querySelector("[data-clear]").addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; field.value = "";
  });
})();
