// Records the route of an open patrol: the phone's positions are queued (kept in
// localStorage, networks in the field are weak) and posted in batches; a retried batch is
// harmless because the server ignores points it already has. The last position also fills
// the finding form, so a problem found is located where the worker stands.
(function () {
  "use strict";
  var cfg = document.getElementById("patrol-config");
  if (!cfg || !navigator.geolocation) return;
  var key = "wangge-patrol-" + cfg.dataset.patrol;
  var status = document.getElementById("gps-status");
  var queue = [];
  try { queue = JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { queue = []; }
  var sending = false;
  function save() { try { localStorage.setItem(key, JSON.stringify(queue)); } catch (e) {} }
  function flush() {
    if (sending || !queue.length) return;
    sending = true;
    var batch = queue.slice(0, 200);
    fetch(cfg.dataset.pointsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": cfg.dataset.csrf },
      body: JSON.stringify({ points: batch })
    }).then(function (r) { return r.json().then(function (body) { return [r.status, body]; }); })
      .then(function (res) {
        if (res[0] === 200 || res[0] === 400) {
          // 400: a point the server will never take (e.g. clock far off): drop the batch.
          queue = queue.slice(batch.length);
          save();
        }
        if (res[0] === 200) {
          document.getElementById("patrol-points").textContent = res[1].points;
          document.getElementById("patrol-distance").textContent = res[1].distance_m;
        }
      })
      .catch(function () {})
      .then(function () { sending = false; });
  }
  navigator.geolocation.watchPosition(function (pos) {
    var p = {
      lat: pos.coords.latitude,
      lng: pos.coords.longitude,
      accuracy: Math.round(pos.coords.accuracy || 0),
      time: new Date(pos.timestamp).toISOString()
    };
    queue.push(p);
    save();
    var form = document.getElementById("finding-form");
    if (form) { form.elements.lat.value = p.lat; form.elements.lng.value = p.lng; }
    if (status) status.textContent = status.dataset.on;
    if (queue.length >= 10) flush();
  }, function () {
    if (status) status.textContent = status.dataset.off;
  }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
  setInterval(flush, 30000);
  window.addEventListener("pagehide", flush);
  var stop = document.querySelectorAll("form[action$='/stop/']");
  stop.forEach(function (f) { f.addEventListener("submit", flush); });
})();
