/* MAIS embed loader. On the business's own site:
     <script src="https://<mais host>/embed.js" data-tenant="demo-tenant" async></script>
   Optional: data-container="<element id>" (where the widget goes; default: right after
   this script), data-package="<package slug>" (open one package), data-target="top"
   (payment takes the whole window instead of a new tab, and comes back to this page).
   Inserts the booking widget's iframe, sizes it to its content and dispatches DOM events
   on the page: mais:ready, mais:resize, mais:booking-started, mais:booking-confirmed
   (event.detail.reference is the booking reference). Messages are accepted only from the
   widget's origin and frame, and only in the "mais" namespace. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.dataset.tenant || script.dataset.maisLoaded) return;
  script.dataset.maisLoaded = '1';

  var widgetOrigin = new URL(script.src, window.location.href).origin;
  var tenant = script.dataset.tenant;
  var topMode = script.dataset.target === 'top';
  var RETURN_PARAMS = ['session_id', 'tenant', 'booking', 'canceled'];

  var params = new URLSearchParams({ tenant: tenant, origin: window.location.origin });
  if (script.dataset.package) params.set('package', script.dataset.package);
  if (topMode) {
    params.set('target', 'top');
    var back = new URL(window.location.href);
    RETURN_PARAMS.forEach(function (name) { back.searchParams.delete(name); });
    back.hash = '';
    params.set('return', back.href);
  }
  // Back from the payment page (full-window mode): show the booking, or the package again.
  var here = new URLSearchParams(window.location.search);
  if (here.get('tenant') === tenant && (here.get('session_id') || here.get('canceled'))) {
    ['session_id', 'booking', 'canceled'].forEach(function (name) {
      if (here.get(name)) params.set(name, here.get(name));
    });
    var clean = new URL(window.location.href);
    RETURN_PARAMS.forEach(function (name) { clean.searchParams.delete(name); });
    try { window.history.replaceState(window.history.state, '', clean.href); } catch (e) { /* ignore */ }
  }

  var frame = document.createElement('iframe');
  frame.src = widgetOrigin + '/widget?' + params.toString();
  frame.title = 'Booking';
  frame.setAttribute('style', 'display:block;width:100%;border:0;min-height:420px;height:720px;overflow:hidden;color-scheme:normal');
  frame.setAttribute('scrolling', 'no');

  var host = script.dataset.container && document.getElementById(script.dataset.container);
  if (!host) {
    host = document.createElement('div');
    host.className = 'mais-widget';
    script.parentNode.insertBefore(host, script.nextSibling);
  }

  function dispatch(name, detail) {
    host.dispatchEvent(new CustomEvent('mais:' + name, { bubbles: true, detail: detail }));
  }

  function allowedNavigation(url) {
    try {
      var target = new URL(url);
      return target.protocol === 'https:' || target.origin === widgetOrigin;
    } catch (e) {
      return false;
    }
  }

  var ready = false;
  window.addEventListener('message', function (event) {
    if (event.origin !== widgetOrigin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.ns !== 'mais' || typeof data.type !== 'string') return;
    var detail = data.detail && typeof data.detail === 'object' ? data.detail : {};
    var height = Number(detail.height);
    if (height > 0 && height < 100000) frame.style.height = height + 'px';
    switch (data.type) {
      case 'ready':
        if (!ready) {
          ready = true;
          dispatch('ready', { tenant: tenant, page: detail.page });
        }
        break;
      case 'resize':
        dispatch('resize', { height: height });
        break;
      case 'booking-started':
        dispatch('booking-started', detail);
        break;
      case 'booking-confirmed':
        dispatch('booking-confirmed', detail);
        break;
      case 'scroll-to-top':
        if (frame.getBoundingClientRect().top < 0) frame.scrollIntoView({ block: 'start' });
        break;
      case 'navigate':
        if (topMode && allowedNavigation(detail.url)) window.location.assign(detail.url);
        break;
    }
  });

  frame.addEventListener('load', function () {
    frame.contentWindow.postMessage({ ns: 'mais', v: 1, type: 'hello' }, widgetOrigin);
  });
  host.appendChild(frame);
})();
