// Draws area boundaries and points from a json_script block onto a Leaflet map.
// Tiles are optional: county networks are often offline, so without a tile URL the polygons
// are drawn on a plain background.
(function () {
  "use strict";
  var STYLES = {
    self: { color: "#b71c1c", weight: 3, fillOpacity: 0.08 },
    child: { color: "#1f5fa8", weight: 2, fillOpacity: 0.12 },
    partner: { color: "#8a5a00", weight: 2, dashArray: "6 4", fillOpacity: 0.05 }
  };
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function draw(el) {
    var data = JSON.parse(document.getElementById(el.dataset.source).textContent);
    var map = L.map(el, { attributionControl: !!data.tile_url, zoomSnap: 0.25 });
    if (data.tile_url) {
      L.tileLayer(data.tile_url, { maxZoom: 19, attribution: data.tile_attribution || "" }).addTo(map);
    }
    // Layers are built first and added once the view is set: Leaflet cannot draw vectors on a
    // map without a centre and zoom.
    var bounds = L.latLngBounds([]);
    var layers = [];
    (data.features || []).forEach(function (f) {
      var layer = L.geoJSON(f.geometry, { style: STYLES[f.role] || STYLES.child });
      var label = "<strong>" + escapeHtml(f.name) + "</strong>";
      if (f.url) label = '<a href="' + escapeHtml(f.url) + '">' + label + "</a>";
      if (f.note) label += "<br>" + escapeHtml(f.note);
      layer.bindPopup(label);
      if (f.role === "child") layer.bindTooltip(escapeHtml(f.name), { sticky: true });
      layers.push(layer);
      bounds.extend(layer.getBounds());
    });
    (data.points || []).forEach(function (p) {
      var m = L.circleMarker([p.lat, p.lng], {
        radius: 7, color: "#fff", weight: 2, fillColor: "#b71c1c", fillOpacity: 1
      });
      layers.push(m);
      if (p.label) m.bindPopup(escapeHtml(p.label));
      bounds.extend([p.lat, p.lng]);
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [12, 12], maxZoom: 17 });
    } else {
      el.classList.add("map-empty");
      map.setView([35, 105], 4);
    }
    layers.forEach(function (layer) { layer.addTo(map); });
  }
  function init() {
    if (typeof L === "undefined") return;
    document.querySelectorAll("[data-map]").forEach(draw);
  }
  if (document.readyState !== "loading") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
