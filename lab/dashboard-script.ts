/**
 * The dashboard's script, served as a same-origin file (`/lab/dashboard.js`) so the page keeps a
 * strict Content-Security-Policy (`script-src 'self'`, no inline script). It polls the request log
 * (`/lab/requests?after=ID`) and adds new rows without a reload, shows a request's detail on a click
 * (`/lab/requests/ID`), and changes the switches through the control API with the run's secret,
 * asked once and kept in sessionStorage only. Everything from the lab is put in the page with
 * textContent, never as HTML: client metadata and request paths are attacker-controlled.
 */
export const DASHBOARD_SCRIPT = String.raw`'use strict';
(function () {
  var SECRET_KEY = 'fapi-lab-control-secret';
  var table = document.getElementById('requests');
  var body = table ? table.tBodies[0] : null;
  var detail = document.getElementById('detail');
  var total = document.getElementById('requests-total');
  var last = Number(table ? table.getAttribute('data-last') : 0) || 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function time(iso) {
    return String(iso).slice(11, 19);
  }

  function row(r) {
    var tr = el('tr', 'request');
    tr.setAttribute('data-id', String(r.id));
    tr.appendChild(el('td', 'mono', time(r.time)));
    var what = el('td', 'mono', r.method + ' ' + r.path);
    if (r.listener !== 'as') what.appendChild(el('span', 'muted', ' [' + r.listener + ']'));
    tr.appendChild(what);
    tr.appendChild(el('td', '', r.status));
    tr.appendChild(el('td', 'mono', r.clientId || ''));
    var outcome = el('td');
    if (r.outcome === 'accepted') outcome.appendChild(el('span', 'ok', 'accepted'));
    else {
      outcome.appendChild(el('span', 'bad', r.error || 'refused'));
      if (r.check) {
        outcome.appendChild(document.createTextNode(' '));
        outcome.appendChild(el('code', '', r.check));
      }
      if (r.description) {
        outcome.appendChild(el('br'));
        outcome.appendChild(el('span', 'muted', r.description));
      }
    }
    tr.appendChild(outcome);
    tr.appendChild(el('td', 'muted mono', (r.passed || []).join(' ')));
    return tr;
  }

  function poll() {
    fetch('/lab/requests?after=' + last, { headers: { accept: 'application/json' } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (d) {
        if (!d || !body) return;
        var empty = document.getElementById('no-requests');
        if (empty && d.requests.length) empty.remove();
        d.requests.forEach(function (r) {
          body.insertBefore(row(r), body.firstChild);
          last = Math.max(last, r.id);
        });
        while (body.rows.length > 200) body.deleteRow(body.rows.length - 1);
        if (total) total.textContent = String(d.requests_total);
      })
      .catch(function () {})
      .then(function () { setTimeout(poll, 1000); });
  }

  function section(title, value) {
    var s = el('div', 'section');
    s.appendChild(el('h3', '', title));
    if (value.redacted) s.appendChild(el('p', 'muted mono', value.redacted));
    if (value.problem) s.appendChild(el('p', 'bad', value.problem));
    if (value.header) s.appendChild(el('pre', 'mono', 'header ' + JSON.stringify(value.header, null, 2)));
    if (value.claims) s.appendChild(el('pre', 'mono', 'claims ' + JSON.stringify(value.claims, null, 2)));
    return s;
  }

  function show(id) {
    fetch('/lab/requests/' + encodeURIComponent(id), { headers: { accept: 'application/json' } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (d) {
        if (!detail) return;
        detail.textContent = '';
        detail.hidden = false;
        if (!d) {
          detail.appendChild(el('p', 'muted', 'This request is no longer in the log.'));
          return;
        }
        detail.appendChild(el('h2', '', 'Request ' + d.id + ': ' + d.method + ' ' + d.path + ' → ' + d.status));
        var facts = [d.time, 'listener ' + d.listener];
        if (d.clientId) facts.push('client ' + d.clientId);
        if (d.grantType) facts.push('grant ' + d.grantType);
        facts.push(d.dpop ? 'DPoP proof' : 'no DPoP proof');
        facts.push(d.clientCertificate ? 'client certificate' : 'no client certificate');
        detail.appendChild(el('p', 'muted', facts.join(' · ')));
        if (d.decidedBy) {
          var box = el('div', 'card warn');
          box.appendChild(el('h3', 'bad', 'Refused by ' + d.decidedBy.check + (d.decidedBy.rule ? ' (' + d.decidedBy.rule + ')' : '')));
          if (d.decidedBy.why) box.appendChild(el('p', '', d.decidedBy.why));
          if (d.decidedBy.spec) box.appendChild(el('p', 'muted', d.decidedBy.spec));
          detail.appendChild(box);
        } else detail.appendChild(el('p', 'ok', 'Accepted.'));
        detail.appendChild(el('h3', '', 'Checks passed'));
        detail.appendChild(el('p', 'mono', d.passed.length ? d.passed.join(' ') : 'none'));
        if (d.clientAssertion) detail.appendChild(section('Client assertion', d.clientAssertion));
        if (d.dpopProof) detail.appendChild(section('DPoP proof', d.dpopProof));
        if (d.accessToken) detail.appendChild(section('Access token', d.accessToken));
        detail.scrollIntoView({ block: 'nearest' });
      })
      .catch(function () {});
  }

  if (table) {
    table.addEventListener('click', function (e) {
      var tr = e.target && e.target.closest ? e.target.closest('tr[data-id]') : null;
      if (tr) show(tr.getAttribute('data-id'));
    });
  }

  var form = document.getElementById('switches');
  var message = document.getElementById('switches-message');
  var secretInput = document.getElementById('control-secret');
  function say(text, cls) {
    if (!message) return;
    message.textContent = text;
    message.className = cls || 'muted';
  }
  function secret() {
    var s = sessionStorage.getItem(SECRET_KEY);
    if (s) return s;
    s = secretInput && secretInput.value ? secretInput.value.trim() : '';
    if (s) sessionStorage.setItem(SECRET_KEY, s);
    return s;
  }
  function checked(name) {
    return Array.prototype.slice
      .call(form.querySelectorAll('input[name="' + name + '"]:checked'))
      .map(function (i) { return i.value; });
  }
  function put(path, payload, s) {
    return fetch(path, {
      method: 'PUT',
      headers: { authorization: 'Bearer ' + s, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(payload),
    }).then(function (res) {
      return res.json().then(function (j) { return { status: res.status, body: j }; });
    });
  }
  if (form) {
    if (sessionStorage.getItem(SECRET_KEY) && secretInput) secretInput.closest('p').hidden = true;
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var s = secret();
      if (!s) {
        say('The control secret of this lab run is needed: fapi lab status --show-secrets.', 'bad');
        return;
      }
      put('/lab/control/faults', { faults: checked('fault') }, s)
        .then(function (r) {
          if (r.status !== 200) return r;
          return put('/lab/control/relaxations', { relaxations: checked('relax') }, s);
        })
        .then(function (r) {
          if (r.status === 401) {
            sessionStorage.removeItem(SECRET_KEY);
            if (secretInput) {
              secretInput.value = '';
              secretInput.closest('p').hidden = false;
            }
            say('The lab refused the control secret: ' + (r.body.error_description || 'wrong secret'), 'bad');
            return;
          }
          if (r.status !== 200) {
            say('The lab refused: ' + (r.body.error_description || r.status), 'bad');
            return;
          }
          if (secretInput) secretInput.closest('p').hidden = true;
          var on = r.body.faults.concat(r.body.relaxations);
          say(on.length ? 'Now on: ' + on.join(', ') + ' (not FAPI 2.0 conformant)' : 'Strict FAPI 2.0 again.', on.length ? 'bad' : 'ok');
        })
        .catch(function (err) { say('Could not reach the lab: ' + err, 'bad'); });
    });
  }

  poll();
})();
`;
