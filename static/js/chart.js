// The org chart drawn as boxes and lines (d3-org-chart, vendored with d3 and d3-flextree).
// The server sends the tree as JSON (/orgs/<slug>/chart/data/); reports not sent yet load on
// demand. Every box carries data-person="<id>"; the list below the picture stays the
// accessible fallback and works without JavaScript.
(function () {
  "use strict";
  const host = document.getElementById("org-picture");
  if (!host || !window.d3 || !d3.OrgChart) return;
  const source = host.dataset.src;
  const canvas = host.querySelector(".org-picture-canvas");
  const status = host.querySelector("[data-chart-status]");
  const editable = host.dataset.editable === "true";
  const moveUrl = host.dataset.moveUrl;
  let chart = null;
  let nodes = [];
  let dotted = [];
  let showDotted = true;
  let moving = null; // the person whose new manager the keyboard is choosing
  let exporting = false; // boxes drawn for a download: no buttons
  // The first view's scale: a box's name about 14 px high.
  const FIRST_ZOOM = 0.9;

  // A downloaded SVG or PNG carries no stylesheet: each box's look is written on it.
  const LOOK = {
    box: "box-sizing:border-box;height:100%;padding:6px 8px;background:#fff;border:1px solid #d9dde5;" +
      "border-left:5px solid #c4cad6;border-radius:6px;font-family:system-ui,sans-serif;" +
      "font-size:12px;line-height:1.35;color:#1d2330;",
    "ml-org": "border-left-color:#2456c9;background:#eef3fd;",
    outside: "border-left-style:dashed;border-left-color:#7a2e8e;",
    unknown: "",
    seat: "border:2px dashed #1f4f99;border-left:5px dashed #1f4f99;background:#f7faff;color:#1f4f99;",
    name: "font-weight:700;font-size:13px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;",
    meta: "color:#5b6475;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;",
  };

  function escape(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  function seatHtml(p) {
    // An open position of a team this box's parent leads: planned, not a person (dashed).
    return '<div class="oc-node oc-seat" data-position="' + escape(p.positionId) + '" style="' +
      LOOK.box + LOOK.seat + '">' +
      '<div class="oc-name" style="' + LOOK.name + '">Open seat</div>' +
      '<div class="oc-meta" style="' + LOOK.meta + '">' + escape(p.title) + " · " + escape(p.fte) + "%</div>" +
      '<div class="oc-meta" style="' + LOOK.meta + '">' + escape(p.team) + "</div></div>";
  }

  function boxHtml(d) {
    const p = d.data;
    if (p.seat) return seatHtml(p);
    const org = p.inMlOrg === true ? "ml-org" : p.inMlOrg === false ? "outside" : "unknown";
    const marks = [];
    if (p.mlHead) marks.push('<span class="marker ml-head">ML head</span>');
    if (!p.active) marks.push('<span class="marker left">left</span>');
    if (p.teamOutside) marks.push('<span class="marker outside">team outside ML org</span>');
    const badges = p.findings.map(function (f) {
      return '<span class="badge ' + escape(f.severity) + '" tabindex="0" data-finding="' +
        escape(f.code) + '" data-message="' + escape(f.message) + '" aria-label="' +
        escape(f.severity + ": " + f.message) + '">' + escape(f.severity[0].toUpperCase()) +
        "</span>";
    }).join("");
    let tools = "";
    if (exporting) {
      tools = "";
    } else if (editable && moving === null) {
      tools = '<button type="button" class="oc-tool" data-move="' + p.id + '">Move…</button>';
    } else if (editable && moving !== p.id) {
      tools = '<button type="button" class="oc-tool" data-move-here="' + p.id +
        '">Make manager of ' + escape(byId(moving).name) + "</button>";
    }
    const more = p.reports > p.shown && !exporting
      ? '<button type="button" class="oc-more" data-load="' + p.id + '">' +
        (p.shown ? "Load " + (p.reports - p.shown) + " more reports" : "Show " + p.reports + " report" + (p.reports === 1 ? "" : "s")) +
        "</button>"
      : "";
    return '<div class="oc-node ' + org + (p.active ? "" : " inactive") + (moving === p.id ? " moving" : "") +
      '" data-person="' + p.id + '" data-ml-org="' + org + '"' + (editable ? ' draggable="true"' : "") +
      ' style="' + LOOK.box + LOOK[org] + '">' +
      '<div class="oc-name" style="' + LOOK.name + '">' + escape(p.name) + " " + marks.join(" ") + "</div>" +
      '<div class="oc-meta" style="' + LOOK.meta + '">' + escape(p.title || p.role) + "</div>" +
      '<div class="oc-meta" style="' + LOOK.meta + '">' + (p.team ? escape(p.team) : "no team") + " · " +
      (org === "ml-org" ? "in the ML org" : org === "outside" ? "outside the ML org" : "ML org unknown") + "</div>" +
      '<div class="oc-foot">' + badges + (p.under ? '<span class="oc-under">' + p.under + " under</span>" : "") + more + tools + "</div>" +
      "</div>";
  }

  function byId(id) {
    return nodes.find(function (n) { return n.id === id; });
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  // Changing a manager: a drag onto the new manager's box, or "Move…" then "Make manager".
  function move(personId, managerId) {
    const person = byId(personId);
    const body = new FormData();
    body.append("person", personId);
    body.append("manager", managerId == null ? "" : managerId);
    body.append("expected", person ? person.version : "");
    say("Saving…");
    return fetch(moveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    }).then(function (response) {
      if (!(response.headers.get("Content-Type") || "").includes("json")) {
        // A refusal before the view (a role too low, an expired login): no JSON to read.
        return { status: response.status, data: { ok: false, message: response.status === 403
          ? "Not saved: changing the chart needs the editor role." : "Not saved (" + response.status + ")." } };
      }
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (answer) {
      const data = answer.data;
      if (person && data.version) person.version = data.version;
      if (data.ok) {
        person.parentId = data.manager;
        refresh();
        sayWithUndo(data.message, personId, data.previous);
        refreshFindings();
      } else {
        if (answer.status === 409 && person) {
          person.parentId = data.manager;
          refresh();
        }
        say(data.message || "Not saved.");
      }
    }).catch(function (error) { say("Not saved: " + error.message); });
  }

  function sayWithUndo(message, personId, previous) {
    if (!status) return;
    status.textContent = message + " ";
    const undo = document.createElement("button");
    undo.type = "button";
    undo.className = "oc-undo";
    undo.textContent = "Undo";
    undo.addEventListener("click", function () { move(personId, previous); });
    status.appendChild(undo);
  }

  function refreshFindings() {
    // A new manager can fix or raise findings anywhere: take the boxes' badges afresh.
    fetchJson("").then(function (data) {
      const fresh = new Map(data.nodes.map(function (n) { return [n.id, n]; }));
      nodes.forEach(function (n) {
        const now = fresh.get(n.id);
        if (now) {
          n.findings = now.findings;
          n.inMlOrg = now.inMlOrg;
          n.teamOutside = now.teamOutside;
        }
      });
      refresh();
    });
  }

  // Draw the boxes without their buttons, download, then draw them back.
  function download(save) {
    exporting = true;
    refresh();
    setTimeout(function () {
      save();
      exporting = false;
      setTimeout(refresh, chart.duration() + 100);
    }, chart.duration() + 50);
  }

  function connections() {
    if (!showDotted) return [];
    const shown = new Set(nodes.map(function (n) { return n.id; }));
    return dotted.filter(function (c) { return shown.has(c.from) && shown.has(c.to); })
      .map(function (c) { return { from: String(c.from), to: String(c.to), label: "" }; });
  }

  function addNodes(more) {
    const known = new Set(nodes.map(function (n) { return n.id; }));
    more.forEach(function (n) {
      if (!known.has(n.id)) {
        nodes.push(n);
        known.add(n.id);
      }
    });
  }

  function refresh() {
    chart.data(nodes).connections(connections()).render();
  }

  function fetchJson(query) {
    // The source may carry ?as_of= already (the chart of a past design): join, not repeat.
    const url = source.includes("?") && query.startsWith("?") ? source + "&" + query.slice(1) : source + query;
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.statusText);
        return response.json();
      });
  }

  // Someone outside the tree drawn (their reporting line stops short of the top): say so,
  // with a link to the chart of their own tree, rather than draw a second root.
  function elsewhere(data) {
    if (!data.elsewhere || !status) return false;
    status.textContent = data.name + " is not under the top of the organisation: their reporting line stops short. ";
    const link = document.createElement("a");
    link.href = data.elsewhere;
    link.textContent = "Open the chart of their tree";
    status.appendChild(link);
    return true;
  }

  function merge(data) {
    // The open seats come apart from the people (their ids are "seat-<position>"): drawn as
    // dashed boxes under their team's lead.
    addNodes(data.nodes.concat(data.seats || []));
    dotted = dotted.concat(data.dotted);
  }

  function loadReports(id) {
    const node = nodes.find(function (n) { return n.id === id; });
    say("Loading the reports of " + (node ? node.name : "this person") + "…");
    const offset = node ? node.next || 0 : 0;
    return fetchJson("?root=" + id + "&offset=" + offset).then(function (data) {
      merge(data);
      if (node) {
        node.next = offset + data.nodes.length;
        node.shown = nodes.filter(function (n) { return n.parentId === id && !n.seat; }).length;
        node._expanded = true;
      }
      refresh();
      chart.setExpanded(String(id)).render();
      say("");
    }).catch(function (error) { say("Could not load the reports: " + error.message); });
  }

  function centre(id) {
    const open = function () {
      chart.setExpanded(String(id)).setCentered(String(id)).setHighlighted(String(id)).render();
      const box = canvas.querySelector('[data-person="' + id + '"]');
      if (box) say("Centred on " + box.querySelector(".oc-name").textContent.trim() + ".");
    };
    if (nodes.some(function (n) { return n.id === id; })) {
      open();
      return Promise.resolve();
    }
    return fetchJson("?reveal=" + id).then(function (data) {
      if (elsewhere(data)) return;
      merge(data);
      refresh();
      open();
    });
  }

  function firstCentre(people) {
    const head = people.find(function (p) { return p.mlHead; }) ||
      people.find(function (p) { return p.parentId == null; });
    return head.id;
  }

  function start(data) {
    nodes = data.nodes.concat(data.seats || []);
    dotted = data.dotted;
    if (!nodes.length) {
      say("Nobody to draw yet.");
      return;
    }
    chart = new d3.OrgChart()
      .container(canvas)
      .svgHeight(canvas.clientHeight)
      .data(nodes)
      .nodeId(function (d) { return String(d.id); })
      .parentNodeId(function (d) { return d.parentId == null ? null : String(d.parentId); })
      .nodeWidth(function () { return 250; })
      .nodeHeight(function () { return 112; })
      .childrenMargin(function () { return 48; })
      .compactMarginBetween(function () { return 28; })
      .compactMarginPair(function () { return 60; })
      .siblingsMargin(function () { return 24; })
      .imageName("org-chart")
      .connections(connections())
      .connectionsUpdate(function () {
        // A dotted-line manager: a thin dashed line, not the library's thick arrow.
        d3.select(this).attr("stroke", "#7a2e8e").attr("stroke-linecap", "round")
          .attr("stroke-width", 1.5).attr("stroke-dasharray", "5,5").attr("fill", "none")
          .attr("marker-start", null).attr("marker-end", null).attr("class", "dotted-line");
      })
      .linkUpdate(function () {
        d3.select(this).attr("stroke", "#9aa3b2").attr("stroke-width", 1.2)
          .attr("class", "reporting-line");
      })
      .nodeContent(boxHtml)
      .render();
    // Once the boxes have moved into place (the library animates them), centre on the ML head
    // (else the top of the tree) at a size its words can be read at: the whole tree fitted on
    // screen shrinks the text to a few pixels ("Fit to screen" shows it all).
    setTimeout(function () {
      chart.initialZoom(FIRST_ZOOM).setCentered(String(firstCentre(nodes))).render();
      setTimeout(function () {
        // Ready once still: a drag or a check of the boxes needs them where they stay.
        host.classList.add("ready");
        host.dataset.ready = "true";
      }, chart.duration() + 50);
    }, chart.duration() + 50);
    say("");
  }

  if (editable) {
    // A press on a box starts a drag of the box, not a pan of the chart.
    canvas.addEventListener("mousedown", function (event) {
      if (event.target.closest(".oc-node")) event.stopPropagation();
    }, true);
    canvas.addEventListener("dragstart", function (event) {
      const box = event.target.closest && event.target.closest(".oc-node");
      if (!box) return;
      event.dataTransfer.setData("text/plain", box.dataset.person);
      event.dataTransfer.effectAllowed = "move";
    });
    canvas.addEventListener("dragover", function (event) {
      const box = event.target.closest && event.target.closest(".oc-node");
      if (!box) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      box.classList.add("drop-target");
    });
    canvas.addEventListener("dragleave", function (event) {
      const box = event.target.closest && event.target.closest(".oc-node");
      if (box) box.classList.remove("drop-target");
    });
    canvas.addEventListener("drop", function (event) {
      const box = event.target.closest && event.target.closest(".oc-node");
      if (!box) return;
      event.preventDefault();
      box.classList.remove("drop-target");
      const personId = Number(event.dataTransfer.getData("text/plain"));
      const managerId = Number(box.dataset.person);
      if (personId && managerId && personId !== managerId) move(personId, managerId);
    });
  }

  host.addEventListener("keydown", function (event) {
    // Inside the drawing, a button's Enter or Space does not reach it as a click: send one.
    const button = event.target.closest && event.target.closest(".oc-node button");
    if (button && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      event.stopPropagation();
      button.click();
      return;
    }
    if (event.key === "Escape" && moving !== null) {
      moving = null;
      refresh();
      say("Move cancelled.");
    }
  }, true);

  // In the capture phase: the library handles clicks on boxes itself and stops them there.
  host.addEventListener("click", function (event) {
    const start = event.target.closest("[data-move]");
    if (start) {
      event.stopPropagation();
      moving = Number(start.dataset.move);
      refresh();
      say("Choose the new manager of " + byId(moving).name + ": “Make manager” on their box. Escape cancels.");
      return;
    }
    const here = event.target.closest("[data-move-here]");
    if (here) {
      event.stopPropagation();
      const personId = moving;
      moving = null;
      move(personId, Number(here.dataset.moveHere));
      return;
    }
    const load = event.target.closest("[data-load]");
    if (load) {
      event.stopPropagation();
      loadReports(Number(load.dataset.load));
      return;
    }
    const action = event.target.closest("[data-chart-action]");
    if (!action || !chart) return;
    switch (action.dataset.chartAction) {
      case "fit": chart.fit(); break;
      case "zoom-in": chart.zoomIn(); break;
      case "zoom-out": chart.zoomOut(); break;
      case "expand": chart.expandAll(); break;
      case "collapse": chart.collapseAll(); break;
      case "svg": download(function () { chart.exportSvg(); }); break;
      case "png": download(function () { chart.exportImg({ full: true, scale: 2 }); }); break;
      case "ml-org":
      case "ml-org-png":
        const asPng = action.dataset.chartAction === "ml-org-png";
        say("Loading the whole ML org…");
        fetchJson("?scope=ml-org").then(function (data) {
          merge(data);
          nodes.forEach(function (n) { n._expanded = true; });
          refresh();
          say("");
          download(function () {
            if (asPng) chart.exportImg({ full: true, scale: 2 });
            else { chart.fit(); setTimeout(function () { chart.exportSvg(); }, chart.duration() + 50); }
          });
        }).catch(function (error) { say("Could not load the ML org: " + error.message); });
        break;
      case "dotted":
        showDotted = !showDotted;
        action.setAttribute("aria-pressed", String(showDotted));
        refresh();
        break;
    }
  }, true);


  const finder = host.querySelector("[data-chart-find]");
  if (finder) {
    finder.addEventListener("submit", function (event) {
      event.preventDefault();
      const query = new FormData(finder).get("find");
      if (!query) return;
      const local = nodes.find(function (n) { return !n.seat && n.name.toLowerCase().includes(String(query).toLowerCase()); });
      if (local) {
        centre(local.id);
        return;
      }
      fetchJson("?find=" + encodeURIComponent(query)).then(function (data) {
        if (data.found == null) {
          say("Nobody called “" + query + "” here.");
          return;
        }
        if (elsewhere(data)) return;
        merge(data);
        refresh();
        centre(data.found);
      });
    });
  }

  document.addEventListener("click", function (event) {
    const target = event.target.closest("[data-centre]");
    if (!target || !chart) return;
    event.preventDefault();
    centre(Number(target.dataset.centre)).then(function () {
      host.scrollIntoView({ block: "start" });
    });
  });

  say("Drawing the chart…");
  fetchJson("").then(start).catch(function (error) { say("Could not draw the chart: " + error.message); });
})();
