// The lab console: draws the page named by the address from /console/api/..., and polls it again while the page
// is visible, so a running deployment moves on the screen without a reload. Plain DOM, no framework, no network
// but this lab's own origin.
"use strict";

const PREFIX = "/console";
const POLL_MS = 500; // a running deployment's page is never more than a second behind
const SLOW_POLL_MS = 1500; // pages that cost a call per application or load balancer

// -- small helpers ------------------------------------------------------------------------------------------------

// el("a", {href: "/x", class: "y"}, "text", otherNode): text is always set as text, never parsed as HTML.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "style") Object.assign(node.style, value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const enc = encodeURIComponent;
const deploymentLink = (id) => el("a", {href: `${PREFIX}/deployments/${enc(id)}`, class: "deployment-link"}, id);
const groupLink = (app, group) =>
  el("a", {href: `${PREFIX}/applications/${enc(app)}/${enc(group)}`}, group);
const badge = (status) => el("span", {class: `status ${status || ""}`, "data-status": status || ""}, status || "-");

function time(value) {
  if (!value) return "-";
  const date = new Date(value);
  return el("time", {datetime: value, title: date.toString()}, date.toLocaleTimeString());
}

function seconds(start, end) {
  if (!start) return "";
  const ms = (end ? new Date(end) : new Date()) - new Date(start);
  return ms < 10000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function facts(rows) {
  const shown = rows.filter((row) => row);
  return el("dl", {class: "facts"}, shown.map(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
}

function revision(rev) {
  if (!rev) return "-";
  if (rev.type === "S3") {
    const version = rev.eTag ? `ETag ${rev.eTag}` : rev.version ? `version ${rev.version}` : "latest";
    return el("span", {}, el("code", {}, `s3://${rev.bucket}/${rev.key}`), ` (${rev.bundleType || "?"}, ${version})`);
  }
  if (rev.type === "GitHub") return el("code", {}, `${rev.repository}@${rev.commitId}`);
  return rev.type || "-";
}

function counts(overview) {
  const order = ["Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready"];
  const present = order.filter((name) => overview && overview[name]);
  if (!present.length) return "-";
  return el("span", {class: "counts"}, present.map((name) => el("span", {}, `${name} ${overview[name]}`)));
}

function creator(deployment) {
  return deployment.creator === "codeDeployRollback" ? "codeDeployRollback (automatic rollback)" : deployment.creator;
}

function rollbackLinks(d) {
  const parts = [];
  if (d.rollbackTriggeringDeploymentId) {
    parts.push(el("div", {class: "rollback-of"}, "rollback of ", deploymentLink(d.rollbackTriggeringDeploymentId)));
  }
  if (d.rollbackDeploymentId) {
    parts.push(el("div", {class: "rolled-back-by"}, "rolled back by ", deploymentLink(d.rollbackDeploymentId)));
  }
  return parts.length ? parts : "-";
}

function enabled(setting, describe) {
  return setting && setting.enabled ? describe(setting) : "off";
}

// -- the pages ----------------------------------------------------------------------------------------------------

function applicationsPage(data) {
  if (!data.applications.length) {
    return [el("h1", {}, "Applications"),
      el("p", {class: "muted"}, "No application yet. Run a playbook, or make demo.")];
  }
  return [el("h1", {}, "Applications"), data.applications.map((app) => el("section", {class: "panel application"},
    el("h2", {}, app.applicationName,
      el("span", {class: "muted"}, `  ${app.computePlatform}, created `, time(app.createTime))),
    app.deploymentGroups.length ? el("table", {},
      el("tr", {}, ["Deployment group", "Style", "Config", "Auto Scaling groups", "Load balancer", "Rollback", "Alarms",
        "Last attempted", "Last successful"].map((h) => el("th", {}, h))),
      app.deploymentGroups.map((group) => el("tr", {},
        el("td", {}, groupLink(app.applicationName, group.name)),
        el("td", {}, style(group.style)),
        el("td", {}, group.deploymentConfigName),
        el("td", {}, group.autoScalingGroups.join(", ") || "-"),
        el("td", {}, group.loadBalancers.join(", ") || "-"),
        el("td", {}, enabled(group.autoRollback, (r) => (r.events || []).join(", "))),
        el("td", {}, enabled(group.alarms, (a) => (a.alarms || []).map((x) => x.name).join(", "))),
        el("td", {}, lastDeployment(group.lastAttemptedDeployment)),
        el("td", {}, lastDeployment(group.lastSuccessfulDeployment)))))
      : el("p", {class: "muted"}, "No deployment group.")))];
}

function style(s) {
  if (!s || !s.deploymentType) return "-";
  const kind = s.deploymentType === "BLUE_GREEN" ? "blue/green" : "in place";
  return s.deploymentOption === "WITH_TRAFFIC_CONTROL" ? `${kind}, with traffic control` : kind;
}

function lastDeployment(last) {
  return last ? el("span", {}, deploymentLink(last.deploymentId), " ", badge(last.status)) : "-";
}

function groupPage(data) {
  const g = data.deploymentGroup;
  return [
    el("h1", {}, `${g.applicationName} / ${g.name}`),
    el("section", {class: "panel"}, facts([
      ["Style", style(g.style)], ["Deployment config", g.deploymentConfigName],
      ["Auto Scaling groups", g.autoScalingGroups.join(", ") || "-"],
      ["EC2 tag filters", g.ec2TagFilters.map((f) => `${f.Key}=${f.Value}`).join(", ") || "-"],
      ["Load balancer", g.loadBalancers.join(", ") || "-"],
      ["Automatic rollback", enabled(g.autoRollback, (r) => `on ${(r.events || []).join(", ")}`)],
      ["Alarms", enabled(g.alarms, (a) => (a.alarms || []).map((x) => x.name).join(", ") || "on, none listed")],
      g.blueGreen && ["Original fleet after success", blueAction(g.blueGreen)],
    ])),
    el("h2", {}, "Deployments"),
    data.deployments.length ? deploymentsTable(data.deployments) : el("p", {class: "muted"}, "No deployment yet."),
  ];
}

function blueAction(config) {
  const terminate = config.terminateBlueInstancesOnDeploymentSuccess || {};
  if (terminate.action !== "TERMINATE") return "kept alive";
  return `terminated ${terminate.terminationWaitTimeInMinutes ?? 60} min after traffic moves`;
}

function deploymentsTable(deployments) {
  return el("table", {class: "deployments"},
    el("tr", {}, ["Deployment", "Status", "Creator", "Revision", "Config", "Instances", "Started", "Ended", "Rollback"]
      .map((h) => el("th", {}, h))),
    deployments.map((d) => el("tr", {"data-deployment": d.deploymentId},
      el("td", {}, deploymentLink(d.deploymentId)), el("td", {}, badge(d.status)), el("td", {}, creator(d)),
      el("td", {}, revision(d.revision)), el("td", {}, d.deploymentConfigName), el("td", {}, counts(d.overview)),
      el("td", {}, time(d.startTime || d.createTime)), el("td", {}, time(d.completeTime)),
      el("td", {}, rollbackLinks(d)))));
}

function deploymentPage(data) {
  const d = data.deployment;
  const active = !d.completeTime && !["Succeeded", "Failed", "Stopped"].includes(d.status);
  return [
    el("h1", {}, "Deployment ", el("code", {}, d.deploymentId), " ",
      el("span", {id: "deployment-status", class: `status ${d.status}`, "data-status": d.status}, d.status)),
    el("section", {class: "panel"}, facts([
      ["Application / group",
        el("span", {}, d.applicationName, " / ", groupLink(d.applicationName, d.deploymentGroupName))],
      ["Creator", creator(d)], ["Revision", revision(d.revision)], ["Deployment config", d.deploymentConfigName],
      ["Style", style(d.style)], ["Instances", counts(d.overview)],
      ["Created", time(d.createTime)], ["Started", time(d.startTime)],
      ["Ended", d.completeTime
        ? el("span", {}, time(d.completeTime), ` (${seconds(d.startTime || d.createTime, d.completeTime)})`) : "-"],
      d.description && ["Description", d.description],
      d.errorInformation && ["Error",
        el("span", {class: "error"}, el("code", {}, d.errorInformation.code), " ", d.errorInformation.message)],
      (d.rollbackDeploymentId || d.rollbackTriggeringDeploymentId || d.rollbackMessage) &&
        ["Rollback",
          el("div", {}, rollbackLinks(d), d.rollbackMessage ? el("div", {class: "muted"}, d.rollbackMessage) : null)],
    ])),
    d.blueGreen ? blueGreen(d.blueGreen) : null,
    el("h2", {}, "Instances"),
    d.instances.length ? timeline(d.instances, data.now, active)
      : el("p", {class: "muted"}, ["Created", "Queued"].includes(d.status) ? "Not started yet." : "No instance."),
  ];
}

function blueGreen(bg) {
  const fleet = (name, ids) => el("div", {class: "panel"}, el("h3", {}, name),
    ids.length ? el("ul", {}, ids.map((id) => el("li", {}, el("code", {}, id))))
      : el("p", {class: "muted"}, "none yet"));
  let ends = "kept alive";
  if (bg.originalFleetAction === "TERMINATE") {
    ends = bg.originalFleetEndsAt
      ? el("span", {}, "terminated at about ", time(bg.originalFleetEndsAt),
        ` (${bg.terminationWaitMinutes} AWS min after traffic moved)`)
      : `terminated ${bg.terminationWaitMinutes} AWS min after traffic moves`;
  }
  return el("section", {class: "blue-green"}, el("h2", {}, "Blue/green"),
    el("p", {}, "Traffic is ", el("span", {class: "traffic", id: "traffic"}, bg.traffic),
      bg.trafficMovedAt ? el("span", {class: "muted"}, " since ", time(bg.trafficMovedAt)) : null,
      ". Original fleet: ", ends, "."),
    el("div", {class: "fleets"},
      fleet("Original fleet (Blue)", bg.original), fleet("Replacement fleet (Green)", bg.replacement)));
}

// One row per instance; every event with a start time is a bar from its start to its end (or to now, while it
// runs), on one time axis shared by all rows, so the slow hook stands out.
function timeline(instances, now, active) {
  const times = instances.flatMap((i) => i.events.flatMap((e) => [e.startTime, e.endTime]))
    .filter((x) => x).map((x) => new Date(x));
  const end = active ? new Date(now) : new Date(Math.max(...times, 0));
  const start = times.length ? new Date(Math.min(...times)) : end;
  const span = Math.max(end - start, 1000);
  const place = (at) => ((new Date(at) - start) / span) * 100;
  const rows = instances.map((instance) => {
    const bars = instance.events.filter((e) => e.startTime).map((e) => {
      const left = place(e.startTime);
      const width = Math.max(place(e.endTime || now) - left, 0.3);
      return el("div", {class: `bar ${e.status}`, title: `${e.name}: ${e.status}, ${seconds(e.startTime, e.endTime)}`,
        "data-event": e.name, "data-status": e.status,
        style: {left: `${left}%`, width: `${Math.min(width, 100 - left)}%`}},
      e.name);
    });
    const failed = instance.events.filter((e) => e.status === "Failed");
    return el("div", {class: "instance", "data-instance": instance.instanceId},
      el("div", {}, el("code", {}, instance.instanceId), " ", badge(instance.status),
        instance.label
          ? el("div", {class: "muted"}, instance.label === "Blue" ? "original (Blue)" : "replacement (Green)") : null),
      el("div", {class: "track"}, bars),
      el("div", {class: "events"}, instance.events.map((e) => el("span", {class: `event ${e.status}`, title: e.status},
        e.name, e.startTime ? ` ${seconds(e.startTime, e.endTime)}` : ""))),
      failed.map((e) => failure(e)));
  });
  return el("section", {class: "timeline"}, rows,
    el("div", {class: "axis"}, el("div", {}, ""), el("div", {}, el("span", {}, time(start.toISOString())),
      el("span", {}, `${(span / 1000).toFixed(1)} s`), el("span", {}, time(end.toISOString())))));
}

function failure(event) {
  const diagnostics = event.diagnostics || {};
  return el("div", {class: "failure", "data-failed-event": event.name},
    el("div", {}, el("strong", {}, event.name), " failed: ",
      el("code", {class: "error-code"}, diagnostics.errorCode || "?"),
      diagnostics.scriptName ? el("span", {class: "muted"}, ` in ${diagnostics.scriptName}`) : null),
    el("div", {class: "message"}, diagnostics.message || ""),
    diagnostics.logTail ? el("pre", {class: "log"}, diagnostics.logTail) : el("p", {class: "muted"}, "No log output."));
}

// A host's web server: an address to open, or the unix socket its load balancers reach it on.
function webServer(web) {
  if (!web.url && !web.socket) return "-";
  const state = web.healthy ? "healthy" : web.running ? "unhealthy" : "stopped";
  const where = web.url ? el("a", {href: web.url, target: "_blank", rel: "noopener"}, web.url)
    : el("code", {}, web.socket);
  return el("span", {}, where, el("span", {class: "muted"}, ` ${state}`));
}

function fleetPage(data) {
  const health = (entries) =>
    entries.length ? entries.map((h) => el("div", {}, `${h.loadBalancer}: `, badge(h.state))) : "-";
  return [
    el("h1", {}, "Fleet"),
    el("h2", {}, "Load balancers"),
    data.loadBalancers.length ? el("table", {class: "load-balancers"},
      el("tr", {}, el("th", {}, "Load balancer"), el("th", {}, "Address")),
      data.loadBalancers.map((lb) => el("tr", {"data-load-balancer": lb.name}, el("td", {}, lb.name),
        el("td", {}, el("a", {href: lb.url, target: "_blank", rel: "noopener"}, lb.url)))))
      : el("p", {class: "muted"}, "No load balancer."),
    el("h2", {}, "Instances"),
    data.instances.length ? el("table", {class: "instances"},
      el("tr", {}, ["Instance", "State", "Auto Scaling group", "Lifecycle", "Load balancer health", "Web server"]
        .map((h) => el("th", {}, h))),
      data.instances.map((i) => el("tr", {"data-instance": i.instanceId},
        el("td", {}, el("code", {}, i.instanceId), i.name ? el("div", {class: "muted"}, i.name) : null),
        el("td", {}, i.state), el("td", {}, i.autoScalingGroup || "-"),
        el("td", {}, i.lifecycleState || "-"), el("td", {}, health(i.loadBalancers)),
        el("td", {class: "web"}, webServer(i.web)))))
      : el("p", {class: "muted"}, "No instance."),
  ];
}

// -- routing and polling ------------------------------------------------------------------------------------------

function route(path) {
  const parts = path.slice(PREFIX.length).split("/").filter((p) => p).map(decodeURIComponent);
  if (parts.length === 0) {
    return {api: "applications", draw: applicationsPage, title: "Applications", every: SLOW_POLL_MS};
  }
  if (parts[0] === "fleet") return {api: "fleet", draw: fleetPage, title: "Fleet", every: SLOW_POLL_MS};
  if (parts[0] === "deployments" && parts.length === 2) {
    return {api: `deployments/${enc(parts[1])}`, draw: deploymentPage, title: parts[1]};
  }
  if (parts[0] === "applications" && parts.length === 3) {
    return {api: `applications/${enc(parts[1])}/${enc(parts[2])}`, draw: groupPage, title: `${parts[1]} / ${parts[2]}`};
  }
  return null;
}

// An error the console answered with: its message says in a sentence what happened (a refused read names the keys,
// the call and what the console needs), so the page shows it as it is.
class ConsoleAnswer extends Error {}

async function refresh(page) {
  const problem = document.getElementById("problem");
  try {
    const response = await fetch(`${PREFIX}/api/${page.api}`, {cache: "no-store", credentials: "same-origin"});
    const body = await response.json();
    if (!response.ok) {
      throw body.error ? new ConsoleAnswer(body.error) : new Error(`${response.status} ${response.statusText}`);
    }
    // Redraw only what changed, so text a person selected (a log tail) stays selected; a running deployment's
    // bars grow with the clock, so its page redraws every time.
    const running = body.deployment && !body.deployment.completeTime;
    const seen = JSON.stringify({...body, now: null});
    if (running || seen !== page.seen) {
      document.getElementById("main").replaceChildren(...[page.draw(body)].flat(2).filter((n) => n));
      page.seen = seen;
    }
    document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
    problem.hidden = true;
  } catch (error) {
    const said = error instanceof ConsoleAnswer ? error.message : `The lab did not answer: ${error.message}`;
    problem.textContent = said.charAt(0).toUpperCase() + said.slice(1);
    problem.hidden = false;
  }
}

function start() {
  const page = route(location.pathname.replace(/\/+$/, "") || PREFIX);
  if (!page) {
    const home = el("a", {href: `${PREFIX}/`}, "Applications");
    document.getElementById("main").replaceChildren(el("p", {}, "No such page. ", home));
    return;
  }
  document.title = `${page.title} - CodeDeploy lab`;
  const loop = async () => {
    if (!document.hidden) await refresh(page);
    setTimeout(loop, page.every || POLL_MS);
  };
  loop();
}

start();
