// Progressive enhancement for a module's minimum reading time: a countdown, and the
// "Saya sudah membaca" button disabled until the time has passed. Without JavaScript the page
// shows the time the button may be used, and the server refuses an earlier press with the time left.
(function () {
  var box = document.getElementById("reading-wait");
  var button = document.getElementById("mark-read");
  if (!box || !button) return;
  var text = box.querySelector(".reading-wait-text");
  var readyAt = Date.parse(box.getAttribute("data-ready-at"));
  // This device's clock minus the server's, from the page as rendered.
  var skew = Date.now() - Date.parse(box.getAttribute("data-now"));
  button.disabled = true;
  function tick() {
    var left = Math.max(0, Math.ceil((readyAt + skew - Date.now()) / 1000));
    if (left === 0) {
      button.disabled = false;
      text.textContent = box.getAttribute("data-done-text");
      return;
    }
    var m = Math.floor(left / 60), s = left % 60;
    text.textContent = box.getAttribute("data-left-text").replace("{t}", m + ":" + String(s).padStart(2, "0"));
    setTimeout(tick, 1000);
  }
  tick();
})();
