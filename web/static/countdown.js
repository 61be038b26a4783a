// Live countdowns: each element carries its due time; the page is complete without this script
// (it shows the time left when it was drawn), the script only keeps the numbers moving.
(function () {
  var els = document.querySelectorAll('[data-countdown]');
  if (!els.length) return;
  function fmt(ms) {
    var s = Math.max(0, Math.round(Math.abs(ms) / 1000));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) return d + ' d ' + h + ' h';
    if (h > 0) return h + ' h ' + String(m).padStart(2, '0') + ' min';
    if (m > 0) return m + ' min ' + String(sec).padStart(2, '0') + ' s';
    return sec + ' s';
  }
  function tick() {
    var now = Date.now();
    els.forEach(function (el) {
      if (el.getAttribute('data-running') !== 'true') return;
      var due = Date.parse(el.getAttribute('data-due'));
      // The server says when the clock turns at risk (the ticket's first warning level); none: never by the time alone.
      var riskFrom = el.getAttribute('data-risk-from') ? Date.parse(el.getAttribute('data-risk-from')) : null;
      var left = due - now;
      var text = el.querySelector('.time');
      var label = el.querySelector('.label');
      var risk = left < 0 ? 'breached' : (el.getAttribute('data-warned') === 'true' || (riskFrom !== null && now >= riskFrom)) ? 'at-risk' : 'ok';
      text.textContent = (left < 0 ? el.getAttribute('data-overdue') : el.getAttribute('data-left')).replace('{time}', fmt(left));
      if (label) label.textContent = risk === 'breached' ? el.getAttribute('data-label-breached') : risk === 'at-risk' ? el.getAttribute('data-label-risk') : '';
      el.className = 'countdown risk-' + risk;
      el.setAttribute('data-risk', risk);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
