// Clip skip extension, browser side: shows the Clip skip the next generation uses in the accordion
// header ("Clip skip 2 (global)"), also while the accordion is closed; follows the global setting
// without a page reload; adds hover hints through the WebUI's own `titles` (javascript/hints.js).
//
// The WebUI loads this as a classic script. Under Node (the tests), the pure helpers are exported.
(function() {
    'use strict';

    // Hover hints, keyed by label text as hints.js expects and translated through `localization` like
    // the WebUI's own. The one place these English texts live. "Clip skip" itself keeps the WebUI's hint,
    // which also labels its setting and the X/Y/Z axis.
    var HINTS = {
        'Clip skip value': 'Clip skip for this generation only, leaving the global setting as it is: 1 = all 12 CLIP layers (the default), 2 = skip the last layer (the usual anime setting), N = stop N−1 layers before the end',
        'Auto (per model)': 'Use the Clip skip saved for the selected checkpoint, else the one in its metadata, else the global setting',
        'Hires clip skip': 'Use a different Clip skip for the hires. fix pass',
        'Exact value or schedule': 'A blend of two layers such as 1.5 (half layer 1, half layer 2), or a schedule over the sampling steps written like prompt editing: [2:1:0.5] is 2 until half the steps, then 1; 3:0.3, 2:0.6, 1 has three stages. Outranks the slider and Auto; leave empty to use the slider',
    };

    var STATUS_URL = './clip-skip/v1/status';
    var TABS = ['txt2img', 'img2img'];
    var FETCH_DELAY_MS = 100; // one request for a burst of triggers (page load fires several)
    var DOT = ' · ';

    // ---- pure logic -------------------------------------------------------------------------------

    /** An integer from 1 to 12 given as a number or a string, else null. */
    function parseClipSkip(value) {
        if (typeof value === 'string') value = value.trim() === '' ? NaN : Number(value);
        return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 12 ? value : null;
    }

    /** The server's JSON from STATUS_URL, checked; null if it is not usable. */
    function readStatus(json) {
        if (!json || typeof json !== 'object') return null;
        var auto = null;
        var autoValue = json.auto && parseClipSkip(json.auto.value);
        if (autoValue) {
            // "saved for X"; also accept the text with the value in front ("2 · saved for X")
            var text = String(json.auto.text || '').trim().replace(new RegExp('^' + autoValue + '\\s*·\\s*'), '');
            auto = {value: autoValue, text: text};
        }
        var notices = {};
        Object.keys(json.notices && typeof json.notices === 'object' ? json.notices : {}).forEach(function(key) {
            var value = parseClipSkip(key);
            var text = json.notices[key];
            if (value && typeof text === 'string' && text.trim()) notices[value] = text.trim();
        });
        return {global: parseClipSkip(json.global), auto: auto, notices: notices};
    }

    /** A blend typed in the schedule box ("1.5") as the whole value whose notice applies, else null. */
    function blendNoticeValue(text) {
        var number = /^\s*\d+(\.\d)?\s*$/.test(text || '') ? Number(text) : NaN;
        return number >= 1 && number <= 12 ? Math.floor(number + 0.5) : null;
    }

    /** The value the next generation of a tab uses, as far as the page knows; null if unknown. */
    function effectiveValue(s) {
        if (!s.enabled) return s.global || null;
        if (s.schedule) return blendNoticeValue(s.schedule);
        if (s.auto) return s.autoStatus ? s.autoStatus.value : null;
        return s.value || null;
    }

    /**
     * What follows the label "Clip skip" in the header.
     * s: {enabled, value, auto (checkbox), schedule (the box's text), global, autoStatus ({value, text} or null)}
     */
    function headerText(s) {
        if (!s.enabled) return s.global ? s.global + ' (global)' : '';
        if (s.schedule) return s.schedule + ' (this generation)'; // outranks the slider and Auto
        if (s.auto) {
            if (!s.autoStatus) return '(auto)';
            return s.autoStatus.value + ' (auto' + (s.autoStatus.text ? DOT + s.autoStatus.text : '') + ')';
        }
        return s.value ? s.value + ' (this generation)' : '';
    }

    /** Adds HINTS to hints.js's `titles`, never replacing one the WebUI or another extension set. */
    function registerHints(titles, hints) {
        Object.keys(hints).forEach(function(label) {
            if (!(label in titles)) titles[label] = hints[label];
        });
    }

    if (typeof module === 'object' && module.exports) {
        module.exports = {
            HINTS: HINTS, parseClipSkip: parseClipSkip, readStatus: readStatus, effectiveValue: effectiveValue,
            headerText: headerText, registerHints: registerHints,
        };
    }

    function addHints() {
        if (typeof titles === 'object' && titles) {
            registerHints(titles, HINTS);
        }
    }
    addHints(); // hints.js is loaded before extensions' scripts

    if (typeof onUiLoaded !== 'function') return; // not in the WebUI

    // ---- the page -------------------------------------------------------------------------------

    // unreadable: the WebUI asks for API credentials (--api-auth), which the page does not have; the
    // status route follows them (sd_webui_clip_skip/webui/status.py), so the header does without it.
    var state = {global: null, auto: null, notices: {}, requested: 0, applied: 0, timer: null, unreadable: false};
    var tabs = []; // per tab: {header, notice, enabled, value, auto}
    var globalInput = null; // the live global slider, if the page has one
    var checkpointInput = null;

    function find(selector, root) {
        return (root || gradioApp()).querySelector(selector);
    }

    /**
     * Calls `callback` when the input's value changes, whoever changes it. The user's edits fire events;
     * gradio (Svelte) writes paste, "Send to" and server updates straight into the property, with no
     * event, so the setter is wrapped too, as the WebUI's ui.js does for its settings_json textarea.
     */
    function watch(input, property, callback) {
        if (!input) return;
        input.addEventListener('input', callback);
        input.addEventListener('change', callback);
        var descriptor = null;
        for (var o = input; o && !descriptor; o = Object.getPrototypeOf(o)) {
            descriptor = Object.getOwnPropertyDescriptor(o, property);
        }
        if (!descriptor || !descriptor.set || !descriptor.configurable) return;
        Object.defineProperty(input, property, {
            configurable: true,
            get: function() {
                return descriptor.get.call(this);
            },
            set: function(v) {
                descriptor.set.call(this, v);
                callback();
            },
        });
    }

    /**
     * The global Clip skip control that applies at once: A1111's, reForge's and Forge Classic's quicksetting,
     * lllyasviel Forge's top-bar slider, ersatzForge's top-bar number box. Forge Neo has none.
     */
    function findGlobalSlider(quicksettings) {
        var slider = find('#setting_CLIP_stop_at_last_layers', quicksettings);
        // Forge's and ersatzForge's have no elem_id (modules_forge/main_entry.py): gradio names them "component-<id>".
        var components = (window.gradio_config && window.gradio_config.components) || [];
        for (var i = 0; !slider && i < components.length; i++) {
            var c = components[i];
            var control = c.type === 'slider' || c.type === 'number';
            if (control && c.props && c.props.label === 'Clip skip' && !c.props.elem_id) {
                slider = find('#component-' + c.id, quicksettings);
            }
        }
        return slider && find('input[type=number]', slider);
    }

    function setupTab(tab) {
        var id = 'script_' + tab + '_clip_skip_clip_skip';
        var accordion = find('#' + id + '.input-accordion') || find('.input-accordion[id^="' + id + '-"]');
        var labelWrap = accordion && find('.label-wrap', accordion);
        if (!labelWrap) return null;

        var header = document.createElement('span');
        header.className = 'clip-skip-effective';
        var label = labelWrap.firstElementChild; // the label's span (javascript/inputAccordion.js)
        labelWrap.insertBefore(header, label.nextSibling);

        var notice = document.createElement('div');
        notice.className = 'clip-skip-notice';
        notice.hidden = true;
        labelWrap.parentNode.insertBefore(notice, labelWrap.nextSibling); // under the header, open or closed

        var controls = {
            header: header,
            notice: notice,
            enabled: find('#' + accordion.id + '-checkbox input'), // InputAccordion's hidden checkbox
            value: find('#' + id + '_value input[type=number]'),
            auto: find('#' + id + '_auto input[type=checkbox]'),
            schedule: find('#' + id + '_schedule textarea') || find('#' + id + '_schedule input'),
        };
        var modelStatus = find('#' + id + '_model_status');
        if (modelStatus && modelStatus.classList.contains('clip-skip-status-unreadable')) state.unreadable = true;
        if (modelStatus) new MutationObserver(requestStatus).observe(modelStatus, {childList: true, subtree: true, characterData: true});
        watch(controls.enabled, 'checked', render);
        watch(controls.value, 'value', render);
        watch(controls.schedule, 'value', render);
        var autoWas = controls.auto && controls.auto.checked;
        watch(controls.auto, 'checked', function() {
            render();
            if (controls.auto.checked !== autoWas) requestStatus();
            autoWas = controls.auto.checked;
        });
        return controls;
    }

    function currentGlobal() {
        return (globalInput && parseClipSkip(globalInput.value)) || state.global;
    }

    function render() {
        var global = currentGlobal();
        tabs.forEach(function(c) {
            var s = {
                enabled: !!(c.enabled && c.enabled.checked),
                value: c.value && parseClipSkip(c.value.value),
                auto: !!(c.auto && c.auto.checked),
                schedule: c.schedule ? c.schedule.value.trim() : '',
                global: global,
                autoStatus: state.auto,
            };
            var text = headerText(s);
            if (c.header.textContent !== text) c.header.textContent = text;
            c.header.hidden = !text;
            var notice = state.notices[effectiveValue(s)] || '';
            if (c.notice.textContent !== notice) c.notice.textContent = notice;
            c.notice.hidden = !notice;
        });
    }

    function requestStatus() {
        if (state.unreadable) return;
        clearTimeout(state.timer);
        state.timer = setTimeout(fetchStatus, FETCH_DELAY_MS);
    }

    function fetchStatus() {
        var seq = ++state.requested;
        var checkpoint = checkpointInput && checkpointInput.value;
        var url = STATUS_URL + (checkpoint ? '?checkpoint=' + encodeURIComponent(checkpoint) : '');
        window.fetch(url, {headers: {Accept: 'application/json'}}).then(function(response) {
            if (response.status === 401) state.unreadable = true; // asking again would get the same answer
            if (!response.ok) throw new Error(response.status);
            return response.json();
        }).then(function(json) {
            var status = readStatus(json);
            if (!status || seq < state.applied) return; // unusable, or older than one already shown
            state.applied = seq;
            if (status.global) state.global = status.global;
            state.auto = status.auto;
            state.notices = status.notices;
            render();
        }).catch(function() {
            // keep the last text: the server may be restarting, or be an older version of the extension
        });
    }

    /** The checkpoint dropdown that applies at once: A1111's quicksetting, or Forge's top bar. */
    function watchCheckpoint(quicksettings) {
        checkpointInput = find('#setting_sd_model_checkpoint input, .model_selection input', quicksettings);
        var last = checkpointInput && checkpointInput.value;
        var changed = function() {
            var input = checkpointInput;
            if (input.getRootNode().activeElement === input || input.value === last) return; // typing to filter
            last = input.value;
            requestStatus();
        };
        watch(checkpointInput, 'value', changed);
        if (checkpointInput) checkpointInput.addEventListener('blur', changed);
    }

    /** Asks again when a generation ends: ui.js hides the Interrupt button then. */
    function watchGenerations() {
        TABS.forEach(function(tab) {
            var button = find('#' + tab + '_interrupt');
            if (!button) return;
            var running = false;
            new MutationObserver(function() {
                var now = button.style.display === 'block';
                if (running && !now) requestStatus();
                running = now;
            }).observe(button, {attributes: true, attributeFilter: ['style']});
        });
    }

    onUiLoaded(function() {
        addHints();
        tabs = TABS.map(setupTab).filter(Boolean);
        if (!tabs.length) return; // the extension is not active on this WebUI
        var quicksettings = find('#quicksettings');
        if (quicksettings) {
            globalInput = findGlobalSlider(quicksettings);
            watch(globalInput, 'value', render);
            watchCheckpoint(quicksettings);
        }
        watchGenerations();
        render();
        requestStatus();
    });

    // `opts` (javascript/ui.js), refreshed from settings_json after Apply settings and each quicksetting.
    if (typeof onOptionsChanged === 'function') {
        onOptionsChanged(function() {
            var value = window.opts && parseClipSkip(window.opts.CLIP_stop_at_last_layers);
            if (value) state.global = value;
            if (!tabs.length) return;
            render();
            requestStatus();
        });
    }
})();
