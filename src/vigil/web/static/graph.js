// Draws a distributor's evidence graph with the vendored Cytoscape.js. Labels are plain text
// drawn on a canvas; nothing from the evidence becomes markup or a URL to load.
(function () {
  "use strict";
  function draw(container, status, data) {
    var elements = [];
    data.nodes.forEach(function (n) { elements.push({ data: { id: n.id, label: n.label, type: n.type, kind: n.kind || "" } }); });
    data.edges.forEach(function (e, i) { elements.push({ data: { id: "e" + i, source: e.source, target: e.target, kind: e.kind } }); });
    var cy = cytoscape({
      container: container,
      elements: elements,
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 9, "text-wrap": "ellipsis", "text-max-width": 140 } },
        { selector: "node[type = 'brand']", style: { "background-color": "#2b6cb0", "shape": "round-rectangle" } },
        { selector: "node[type = 'cluster']", style: { "background-color": "#805ad5", "shape": "hexagon", "width": 40, "height": 40 } },
        { selector: "node[type = 'value']", style: { "background-color": "#dd6b20", "shape": "ellipse" } },
        { selector: "edge", style: { "width": 1, "line-color": "#a0aec0" } }
      ],
      layout: { name: data.nodes.length > 150 ? "grid" : "cose", animate: false }
    });
    status.textContent = data.nodes.length + " nodes, " + data.edges.length + " edges" +
      (data.collapsed ? " (collapsed: brands grouped by the value most of them share)" : "");
    container.setAttribute("data-drawn", String(cy.nodes().length));
  }
  function kindsForm(form, data, load) {
    var box = document.getElementById("graph-kinds");
    if (!box || box.childElementCount) { return; }
    data.kinds.forEach(function (kind) {
      var label = document.createElement("label");
      var input = document.createElement("input");
      input.type = "checkbox"; input.name = "kind"; input.value = kind; input.checked = true;
      input.addEventListener("change", function () {
        var on = Array.prototype.filter.call(form.querySelectorAll("input[name=kind]"), function (i) { return i.checked; })
          .map(function (i) { return i.value; });
        load(on.join(","));
      });
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + kind));
      box.appendChild(label);
    });
  }
  function start() {
    var container = document.getElementById("graph");
    var status = document.getElementById("graph-status");
    var form = document.getElementById("graph-filters");
    if (!container || typeof cytoscape === "undefined") { return; }
    var src = container.getAttribute("data-src");
    function load(kinds) {
      var url = src + (kinds ? "?kinds=" + encodeURIComponent(kinds) : "");
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (data) { kindsForm(form, data, load); draw(container, status, data); })
        .catch(function (e) { status.textContent = "the graph could not be loaded: " + e.message; });
    }
    load("");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
