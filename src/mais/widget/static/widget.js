/* MAIS booking pages: the calendar, the running total, paying from inside an embed, and
   waiting for the payment's confirmation. Every page works without this file; it only
   makes the steps quicker. Dates stay "YYYY-MM-DD" strings (the business's calendar
   dates): nothing here converts them through the browser's time zone. */
(function () {
  'use strict';
  var body = document.body;
  var config = body.dataset;
  var embedded = window.parent !== window;
  var parentOrigin = config.parentOrigin || (embedded ? ancestorOrigin() : '');
  var ZERO_DECIMAL = ['jpy', 'krw', 'vnd', 'clp', 'isk', 'ugx', 'xaf', 'xof'];
  document.documentElement.classList.add('js');

  function ancestorOrigin() {
    try {
      var ancestors = window.location.ancestorOrigins;
      if (ancestors && ancestors.length) return ancestors[0];
      return document.referrer ? new URL(document.referrer).origin : '';
    } catch (e) {
      return '';
    }
  }

  // --- talking to the host page (embed.js) ------------------------------------------
  function tell(type, detail) {
    if (!embedded || !parentOrigin || parentOrigin === 'null') return;
    window.parent.postMessage(
      { ns: 'mais', v: 1, type: type, tenant: config.tenant || '', detail: detail || {} },
      parentOrigin
    );
  }

  function contentHeight() {
    return Math.ceil(document.documentElement.getBoundingClientRect().height);
  }

  function pageName() {
    if (document.querySelector('[data-held]')) return 'payment';
    if (document.querySelector('[data-booking-status]')) return 'booking';
    if (document.querySelector('.booking-form')) return 'package';
    if (document.querySelector('.cards')) return 'catalog';
    return 'other';
  }

  window.addEventListener('message', function (event) {
    if (event.source !== window.parent || event.origin !== parentOrigin) return;
    var data = event.data;
    if (!data || data.ns !== 'mais' || data.type !== 'hello') return;
    tell('ready', { height: contentHeight(), page: pageName() });
  });

  var lastHeight = 0;
  function reportSize() {
    var height = contentHeight();
    if (height !== lastHeight) {
      lastHeight = height;
      tell('resize', { height: height });
    }
  }
  if (embedded && window.ResizeObserver) {
    new ResizeObserver(reportSize).observe(document.documentElement);
  }

  // --- money ---------------------------------------------------------------------------
  function money(cents, currency) {
    var code = (currency || 'usd').toLowerCase();
    var amount = ZERO_DECIMAL.indexOf(code) >= 0 ? cents : cents / 100;
    try {
      return new Intl.NumberFormat('en-US', { style: 'currency', currency: code.toUpperCase() }).format(amount);
    } catch (e) {
      return amount.toFixed(2) + ' ' + code.toUpperCase();
    }
  }

  function updateTotal(form) {
    var cents = Number(form.dataset.priceCents) || 0;
    var boxes = form.querySelectorAll('input[name=add_on]:checked');
    for (var i = 0; i < boxes.length; i++) cents += Number(boxes[i].dataset.priceCents) || 0;
    var total = form.querySelector('[data-total]');
    if (total) total.textContent = money(cents, form.dataset.currency);
  }

  document.addEventListener('change', function (event) {
    var input = event.target;
    if (input.name === 'add_on' && input.form) updateTotal(input.form);
  });

  // --- calendar ------------------------------------------------------------------------
  function shiftDate(iso, days) {
    var parts = iso.split('-').map(Number);
    var moved = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2] + days));
    return moved.toISOString().slice(0, 10);
  }

  function days(calendar) {
    return Array.prototype.slice.call(calendar.querySelectorAll('button.day'));
  }

  function focusDay(calendar, button) {
    days(calendar).forEach(function (day) { day.tabIndex = -1; });
    button.tabIndex = 0;
    button.focus();
  }

  function chooseDay(button) {
    var form = button.form;
    var calendar = button.closest('.calendar');
    var chosen = form.querySelector('[data-chosen-date]');
    var label = button.getAttribute('aria-label').replace(/, your chosen date$/, '');
    if (button.getAttribute('aria-disabled') === 'true') {
      chosen.textContent = 'That date cannot be chosen: ' + label.split(', ').slice(3).join(', ') + '.';
      return;
    }
    days(calendar).forEach(function (day) {
      day.classList.remove('chosen');
      day.parentNode.setAttribute('aria-selected', 'false');
      day.setAttribute('aria-label', day.getAttribute('aria-label').replace(/, your chosen date$/, ''));
    });
    button.classList.add('chosen');
    button.parentNode.setAttribute('aria-selected', 'true');
    button.setAttribute('aria-label', label + ', your chosen date');
    form.elements.event_date.value = button.dataset.date;
    chosen.textContent = 'Your date: ';
    var strong = document.createElement('strong');
    strong.textContent = label.split(', ').slice(0, 3).join(', ');
    chosen.appendChild(strong);
    focusDay(calendar, button);
  }

  // While a month loads, arrow keys keep counting: focus lands where they lead.
  var pendingDate = null;

  function loadMonth(calendar, month, focusDate, navSide) {
    var form = calendar.closest('form');
    var url = form.dataset.calendarUrl + '&month=' + encodeURIComponent(month) +
      '&date=' + encodeURIComponent(form.elements.event_date.value);
    pendingDate = focusDate;
    calendar.classList.add('loading');
    calendar.setAttribute('aria-busy', 'true');
    return fetch(url, { headers: { 'X-Mais-Widget': '1' }, credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error('calendar ' + response.status);
        return response.text();
      })
      .then(function (html) {
        var template = document.createElement('template');
        template.innerHTML = html;
        var fresh = template.content.querySelector('.calendar');
        if (!fresh) throw new Error('no calendar');
        calendar.replaceWith(fresh);
        var wanted = pendingDate;
        pendingDate = null;
        var target = wanted && fresh.querySelector('button.day[data-date="' + wanted + '"]');
        if (target) {
          focusDay(fresh, target);
        } else if (wanted && wanted.slice(0, 7) !== fresh.dataset.month) {
          var nav = fresh.querySelectorAll('.cal-nav')[wanted > fresh.dataset.month ? 1 : 0];
          if (!nav.disabled) return loadMonth(fresh, wanted.slice(0, 7), wanted, null);
          fresh.querySelector('button.day[tabindex="0"]').focus();
        } else if (navSide) {
          var side = fresh.querySelectorAll('.cal-nav')[navSide === 'next' ? 1 : 0];
          (side.disabled ? fresh.querySelector('button.day[tabindex="0"]') : side).focus();
        }
      })
      .catch(function () {
        pendingDate = null;
        // Fall back to the page without the script: post the form for that month.
        var button = document.createElement('button');
        button.type = 'submit';
        button.name = 'month';
        button.value = month;
        button.hidden = true;
        form.appendChild(button);
        form.requestSubmit ? form.requestSubmit(button) : form.submit();
      });
  }

  document.addEventListener('click', function (event) {
    var target = event.target.closest ? event.target.closest('button') : null;
    if (!target || !target.closest('.calendar')) return;
    var calendar = target.closest('.calendar');
    if (target.classList.contains('day')) {
      event.preventDefault();
      chooseDay(target);
    } else if (target.dataset.monthNav) {
      event.preventDefault();
      var side = target === calendar.querySelectorAll('.cal-nav')[1] ? 'next' : 'previous';
      loadMonth(calendar, target.dataset.monthNav, null, side);
    }
  });

  var KEY_STEPS = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
  document.addEventListener('keydown', function (event) {
    var day = event.target.closest ? event.target.closest('button.day') : null;
    if (!day) return;
    var calendar = day.closest('.calendar');
    var all = days(calendar);
    var index = all.indexOf(day);
    var step = KEY_STEPS[event.key];
    var weekday = day.parentNode.cellIndex;
    if (event.key === 'Home') step = -weekday;
    if (event.key === 'End') step = 6 - weekday;
    if (event.key === 'PageUp' || event.key === 'PageDown') {
      var nav = calendar.querySelectorAll('.cal-nav')[event.key === 'PageDown' ? 1 : 0];
      event.preventDefault();
      if (!nav.disabled) {
        var sameDay = day.dataset.date.slice(8);
        var month = nav.dataset.monthNav;
        loadMonth(calendar, month, month + '-' + sameDay, null);
      }
      return;
    }
    if (step === undefined) return;
    event.preventDefault();
    if (pendingDate) {
      pendingDate = shiftDate(pendingDate, step);
      return;
    }
    var wanted = shiftDate(day.dataset.date, step);
    if (all[index + step]) {
      focusDay(calendar, all[index + step]);
      return;
    }
    var side = calendar.querySelectorAll('.cal-nav')[step > 0 ? 1 : 0];
    if (!side.disabled) loadMonth(calendar, wanted.slice(0, 7), wanted, null);
  });

  // --- paying from inside an embed ---------------------------------------------------------
  var busy = false;
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains('booking-form')) return;
    if (config.surface !== 'widget') return; // the storefront posts and is redirected
    var submitter = event.submitter;
    if (submitter && submitter.name && submitter.name !== 'intent') return;
    if (submitter && submitter.value === 'update') return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    var payButton = form.querySelector('.pay .button');
    payButton.setAttribute('aria-busy', 'true');
    var data = new URLSearchParams(new FormData(form));
    data.set('intent', 'pay');
    fetch(form.action, {
      method: 'POST',
      body: data,
      headers: { 'X-Mais-Widget': '1' },
      credentials: 'same-origin'
    })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        busy = false;
        showPage(html);
      })
      .catch(function () {
        busy = false;
        form.submit();
      });
  });

  function showPage(html) {
    // An inert template, not DOMParser: a parsed document's <style> (whose nonce is the new
    // response's) was checked against this page's policy and reported as a violation.
    var template = document.createElement('template');
    template.innerHTML = html;
    var fresh = template.content.querySelector('main');
    if (!fresh) return;
    document.querySelector('main').replaceWith(document.importNode(fresh, true));
    fresh = document.querySelector('main');
    var title = template.content.querySelector('title');
    if (title) document.title = title.textContent;
    tell('scroll-to-top', {});
    var held = fresh.querySelector('[data-held]');
    if (held) {
      startPayment(held);
      return;
    }
    var focus = fresh.querySelector('.error-summary') || fresh.querySelector('h1');
    if (focus) focus.focus();
  }

  function startPayment(held) {
    var url = held.dataset.checkoutUrl;
    var link = held.querySelector('#pay-link');
    tell('booking-started', {
      bookingId: held.dataset.bookingId,
      reference: held.dataset.reference,
      eventDate: held.dataset.eventDate,
      expiresAt: held.dataset.expiresAt
    });
    if (config.target === 'top') {
      // The host page takes the whole window to the payment page (embed.js checks it).
      tell('navigate', { url: url });
      setTimeout(function () {
        try { window.top.location.href = url; } catch (e) { link.focus(); }
      }, 1500);
      return;
    }
    var opened = window.open(url, '_blank');
    if (opened) {
      try { opened.opener = null; } catch (e) { /* already severed */ }
    }
    held.querySelector('h1').focus();
    if (!opened) link.focus();
    poll(held);
  }

  // --- waiting for the payment's confirmation ------------------------------------------------
  function poll(panel) {
    var sessionId = panel.dataset.sessionId;
    var key = panel.dataset.key;
    var next = panel.dataset.next;
    var expires = Date.parse(panel.dataset.expiresAt || '') || Infinity;
    var started = Date.now();
    var delay = 1500;
    var slow = panel.querySelector('[data-poll-slow]');

    function schedule() {
      if (Date.now() > expires + 60000) {
        window.location.assign(next); // the page now explains the expiry
        return;
      }
      if (slow && Date.now() - started > 45000) slow.hidden = false;
      delay = Math.min(delay * 1.2, 5000);
      setTimeout(check, delay);
    }

    function check() {
      if (!key) {
        window.location.assign(next);
        return;
      }
      fetch('/v1/bookings/by-session/' + encodeURIComponent(sessionId), {
        headers: { 'X-Tenant-Key': key, Accept: 'application/json' },
        credentials: 'omit'
      })
        .then(function (response) {
          if (!response.ok) throw new Error('status ' + response.status);
          return response.json();
        })
        .then(function (booking) {
          if (booking.status !== 'held') window.location.assign(next);
          else schedule();
        })
        .catch(schedule);
    }
    setTimeout(check, delay);
  }

  function announceConfirmed(panel) {
    var id = panel.dataset.bookingId;
    try {
      if (window.sessionStorage.getItem('mais:confirmed:' + id)) return;
      window.sessionStorage.setItem('mais:confirmed:' + id, '1');
    } catch (e) { /* storage blocked: tell again, the host can ignore repeats */ }
    tell('booking-confirmed', {
      bookingId: id,
      reference: panel.dataset.reference,
      eventDate: panel.dataset.eventDate,
      package: panel.dataset.package
    });
  }

  // --- on load ---------------------------------------------------------------------------
  var forms = document.querySelectorAll('.booking-form');
  for (var i = 0; i < forms.length; i++) updateTotal(forms[i]);
  var waiting = document.querySelector('[data-booking-status=confirming][data-poll], [data-held]');
  if (waiting) poll(waiting);
  var confirmed = document.querySelector('[data-booking-status=confirmed]');
  if (confirmed) announceConfirmed(confirmed);
  var summary = document.querySelector('.error-summary');
  if (summary) summary.focus();
  tell('ready', { height: contentHeight(), page: pageName() });
  lastHeight = contentHeight();
})();
