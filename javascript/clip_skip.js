// Clip skip extension, browser side: shows the Clip skip the next generation uses in the accordion
// header ("Clip skip 2 (global)"), also while the accordion is closed; follows the global setting
// without a page reload; adds hover hints through the WebUI's own `titles` (javascript/hints.js); shows
// what it builds in the page's language through the WebUI's own localization (`tr`, `translateMessage`).
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

    // The header's words: keys of localizations/<name>.json, {value} and {reason} filled in after translation.
    var HEADER = {
        global: '{value} (global)',
        thisGeneration: '{value} (this generation)',
        autoUnknown: '(auto)',
        auto: '{value} (auto)',
        autoBecause: '{value} (auto · {reason})',
    };

    // What the server writes in English and the page shows (the status route's notices and Auto's reason, the
    // Save/Forget line, the comments under the image), as templates: each is a key of localizations/<name>.json,
    // and a text that matches one is shown translated with its {values} kept. {reason} is itself translated.
    // Kept equal to what the Python code writes by tests/test_localizations.py.
    var MESSAGES = [
        // sd_webui_clip_skip/models/families.py: NOTICES
        'Clip skip has no effect on {family} models in {host}. A `Clip skip` in such an image\'s infotext, the extension\'s or the WebUI\'s, changed nothing.',
        'Clip skip has no effect on {family} models in {host}. SD2 always uses its penultimate layer. A `Clip skip` in such an image\'s infotext, the extension\'s or the WebUI\'s, changed nothing.',
        'Clip skip has no effect on {family} models in {host}. Turn on Settings › Stable Diffusion › Clip skip SDXL to apply it to CLIP-L. A `Clip skip` in such an image\'s infotext, the extension\'s or the WebUI\'s, changed nothing.',
        'Clip skip has no effect on {family} models in {host}. Flux uses only CLIP-L\'s pooled output. A `Clip skip` in such an image\'s infotext, the extension\'s or the WebUI\'s, changed nothing.',
        'Clip skip has no effect on {family} models in {host}. It encodes SD2 at its fixed penultimate layer. A `Clip skip` in such an image\'s infotext, the extension\'s or the WebUI\'s, changed nothing.',
        'Clip skip has no effect on {family} models in {host}. It encodes SDXL at fixed layers. A `Clip skip` in such an image\'s infotext, the extension\'s or the WebUI\'s, changed nothing.',
        'Clip skip has no effect on this model in Forge Neo (only its SD1 and SDXL encoders read it). A `Clip skip` in such an image\'s infotext, the extension\'s or the WebUI\'s, changed nothing.',
        'On SDXL, Clip skip 1 uses CLIP-L\'s last layer, which is not the SDXL default; 2 is.',
        'On SDXL, Clip skip 2 is the model\'s default: the same as with Clip skip SDXL off.',
        'On SDXL, {host} applies Clip skip to CLIP-L only; CLIP-G keeps its default layer.',
        'On SD2, {host} counts from the model\'s default penultimate layer: each value skips one layer more than on SD1.',
        '{host} treats Clip skip 1 and 2 alike on {family}: both are the model\'s default; 3 and up skip further.',
        'On SD3, {host}\'s Clip skip 1 uses the last layer, not the model\'s default penultimate one; 2 is the default.',
        // models/auto.py: AutoValue.reason
        'saved for {checkpoint}',
        'from model metadata ({key})',
        'global setting',
        // models/model_aware.py: the Save and Forget buttons; models/defaults.py: ModelDefaultsError;
        // hosts/webui.py: unhashed_reason
        'Saved Clip skip {value} for {checkpoint}: Auto uses it with this checkpoint.',
        'No checkpoint is selected, so nothing was saved.',
        'Not saved: {reason}',
        'Forgot the Clip skip saved for {checkpoint}.',
        'No Clip skip was saved for {checkpoint}.',
        'No checkpoint is selected.',
        'Not changed: {reason}',
        'This checkpoint has no hash ({reason}), so no default can be saved.',
        'turn on Settings › System › "Use SHA256 to hash checkpoints"',
        'is --no-hashing on?',
        'Could not read {path} ({error}); nothing was saved.',
        '{path} is unreadable and could not be moved aside ({error}).',
        '{path} was written by a newer version of the extension; update it first.',
        'Could not save to {path} ({error}).',
        'Could not save in {folder} ({error}).',
        // webui/controller.py: comments under the image; models/loras.py: lora_hint
        'Clip skip args refused, nothing was generated: {reason}',
        'reForge\'s dynamic Clip skip ({schedule}) shapes this image, not Clip skip {value}',
        'This WebUI offers no place to encode Clip skip {asked}: the nearest whole value is used',
        'Another extension encoded its prompt without steps, at Clip skip {value}, the schedule\'s first value',
        'LoRA {name} was trained at clip skip {trained}; this image uses {used}',
    ];

    var STATUS_URL = './clip-skip/v1/status';
    var TABS = ['txt2img', 'img2img'];
    var FETCH_DELAY_MS = 100; // one request for a burst of triggers (page load fires several)

    // ---- the page's language ----------------------------------------------------------------------
    // The WebUI's own localization, no new one: modules/localization.py:localization_js merges every extension's
    // localizations/<name>.json into `window.localization`, and javascript/localization.js translates the text
    // nodes, titles and placeholders that equal a key as they come into the page (the same two files in A1111
    // 82a973c0, Forge dfdcbab6, reForge 3b56b268, Forge Classic 1f95d717, Forge Neo 3df257ae, ersatzForge fca12a28).
    // That covers the labels, buttons and the placeholder. What this script builds has no fixed text, so its
    // fixed words go through the same file with localization.js's getTranslation.

    /**
     * The page's translation of `key` through getTranslation, else `key`: no localization selected, no entry, or
     * a page without localization.js. The lookup also lists `key` in Settings' "Download localization template".
     */
    function tr(key) {
        var translated;
        if (typeof getTranslation === 'function' && typeof localization === 'object' && localization) {
            translated = getTranslation(key);
        }
        return typeof translated === 'string' && translated ? translated : key;
    }

    /** `key` translated, with each {name} replaced by args[name]. */
    function t(key, args) {
        return tr(key).replace(/\{(\w+)\}/g, function(placeholder, name) {
            return args && Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : placeholder;
        });
    }

    var messagePatterns = null;

    /** MESSAGES as anchored patterns, the one with the most fixed text first: a text matches the most exact template. */
    function patterns() {
        if (!messagePatterns) {
            messagePatterns = MESSAGES.map(function(template) {
                var names = [];
                var parts = template.split(/(\{\w+\})/);
                var source = parts.map(function(part, i) {
                    if (i % 2) {
                        names.push(part.slice(1, -1));
                        return '([\\s\\S]+?)';
                    }
                    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
                }).join('');
                var fixed = parts.filter(function(_, i) {
                    return i % 2 === 0;
                }).join('').length;
                return {template: template, names: names, regex: new RegExp('^' + source + '$'), fixed: fixed};
            }).sort(function(a, b) {
                return b.fixed - a.fixed;
            });
        }
        return messagePatterns;
    }

    /** A text the server wrote from one of MESSAGES, in the page's language; any other text as it is. */
    function translateMessage(text) {
        var trimmed = String(text).trim();
        var found = patterns();
        for (var i = 0; i < found.length; i++) {
            var match = found[i].regex.exec(trimmed);
            if (!match) continue;
            var args = {};
            found[i].names.forEach(function(name, n) {
                args[name] = name === 'reason' ? translateMessage(match[n + 1]) : match[n + 1];
            });
            return t(found[i].template, args);
        }
        return text;
    }

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
     * What follows the label "Clip skip" in the header, in the page's language.
     * s: {enabled, value, auto (checkbox), schedule (the box's text), global, autoStatus ({value, text} or null)}
     */
    function headerText(s) {
        if (!s.enabled) return s.global ? t(HEADER.global, {value: s.global}) : '';
        if (s.schedule) return t(HEADER.thisGeneration, {value: s.schedule}); // outranks the slider and Auto
        if (s.auto) {
            if (!s.autoStatus) return t(HEADER.autoUnknown);
            if (!s.autoStatus.text) return t(HEADER.auto, {value: s.autoStatus.value});
            return t(HEADER.autoBecause, {value: s.autoStatus.value, reason: translateMessage(s.autoStatus.text)});
        }
        return s.value ? t(HEADER.thisGeneration, {value: s.value}) : '';
    }

    /**
     * Adds HINTS to hints.js's `titles`, never replacing one the WebUI or another extension set. hints.js looks a
     * label up by the text it shows, which localization.js has translated, so a translated label gets the hint
     * too; hints.js then shows the hint's own translation (`localization[titles[text]]`, A1111 82a973c0
     * javascript/hints.js:updateTooltip, alike in the forks that have hints; ersatzForge has no `titles`).
     */
    function registerHints(titles, hints) {
        Object.keys(hints).forEach(function(label) {
            [label, tr(label)].forEach(function(shown) {
                if (!(shown in titles)) titles[shown] = hints[label];
            });
        });
    }

    if (typeof module === 'object' && module.exports) {
        module.exports = {
            HINTS: HINTS, HEADER: HEADER, MESSAGES: MESSAGES, parseClipSkip: parseClipSkip, readStatus: readStatus,
            effectiveValue: effectiveValue, headerText: headerText, registerHints: registerHints,
            translateMessage: translateMessage,
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

    /** Changes the element's text in place: localization.js looks only at added nodes, and these are translated. */
    function setText(element, text) {
        if (element.textContent === text) return;
        if (element.childNodes.length === 1 && element.firstChild.nodeType === Node.TEXT_NODE) element.firstChild.data = text;
        else element.textContent = text;
    }

    /** Whenever `element` changes, `translate(element)` (it writes only what differs, so its own change ends there). */
    function translateWhenChanged(element, translate) {
        if (!element) return;
        translate(element);
        new MutationObserver(function() {
            translate(element);
        }).observe(element, {childList: true, subtree: true, characterData: true});
    }

    /** The Save/Forget line (gr.Markdown): each paragraph the server wrote from MESSAGES, in the page's language. */
    function translateParagraphs(root) {
        root.querySelectorAll('p').forEach(function(paragraph) {
            var text = paragraph.textContent.trim();
            var translated = translateMessage(text);
            if (text && translated !== text) paragraph.textContent = translated;
        });
    }

    /**
     * The comments under the image: the WebUI writes them one per line, `<p class='comments'>` with `<br>` between
     * (ui_common.py:plaintext_to_html); each of this extension's lines in the page's language, the others as they are.
     */
    function translateComments(root) {
        root.querySelectorAll('.comments').forEach(function(block) {
            var walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
            for (var node = walker.nextNode(); node; node = walker.nextNode()) {
                var text = node.data.trim();
                var translated = translateMessage(text);
                if (text && translated !== text) {
                    node.data = node.data.replace(text, function() {
                        return translated;
                    });
                }
            }
        });
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
        translateWhenChanged(modelStatus, translateParagraphs);
        translateWhenChanged(find('#html_log_' + tab), translateComments);
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
            setText(c.header, text);
            c.header.hidden = !text;
            var notice = state.notices[effectiveValue(s)] || '';
            setText(c.notice, notice);
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
            state.notices = {};
            Object.keys(status.notices).forEach(function(value) {
                state.notices[value] = translateMessage(status.notices[value]);
            });
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
