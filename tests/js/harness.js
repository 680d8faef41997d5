// Loads the real javascript/clip_skip.js into a jsdom page shaped like the WebUI's, with the host's
// globals it uses (script.js, javascript/ui.js, javascript/hints.js) reduced to what they do.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const {JSDOM} = require('jsdom');

const SCRIPT = fs.readFileSync(path.join(__dirname, '..', '..', 'javascript', 'clip_skip.js'), 'utf8');
const WAIT_MS = 250; // > the script's FETCH_DELAY_MS

// The WebUI's own hint for the setting's label (javascript/hints.js:101 in A1111 v1.10.1 and Forge).
const HOST_CLIP_SKIP_HINT = 'Early stopping parameter for CLIP model; 1 is stop at last layer as usual, 2 is stop at penultimate layer, etc.';

const accordionId = (tab) => `script_${tab}_clip_skip_clip_skip`;

/**
 * One tab's controls as gradio renders them, after javascript/inputAccordion.js setupAccordion() ran
 * (it puts the visible checkbox first in the label's span). Taken from the pages of A1111 v1.10.1
 * (gradio 3.41: the header is a div) and Forge (gradio 4.40: the header is a button).
 */
function tabMarkup(tab, gradio, {auto = true, hires = tab === 'txt2img', statusUnreadable = false} = {}) {
    const id = accordionId(tab);
    const wrap = gradio === 4 ? 'button' : 'div';
    const slider = (elemId, label) => `
        <div id="${elemId}" class="block gradio-slider padded"><div class="wrap default full hide"></div>
          <div class="wrap"><div class="head"><label for="range_${elemId}"><span data-testid="block-info">${label}</span></label>
            <input data-testid="number-input" type="number" min="1" max="12" step="1" value="1"></div></div>
          <input type="range" id="range_${elemId}" name="cowbell" min="1" max="12" step="1" value="1"></div>`;
    const checkbox = (elemId, label, extra = '') => `
        <div id="${elemId}" class="block gradio-checkbox padded ${extra}"><div class="wrap default full hide"></div>
          <label><input type="checkbox" name="test" data-testid="checkbox"> <span class="ml-2">${label}</span></label></div>`;
    return `
      <div class="form">${checkbox(`${id}-checkbox`, 'Clip skip', 'hidden')}</div>
      <div id="${id}" class="block gradio-accordion input-accordion padded"><div class="wrap default full hide"></div>
        <${wrap} class="label-wrap"><span><input type="checkbox" id="${id}-visible-checkbox" class="input-accordion-checkbox">Clip skip</span> <span class="icon" style="transform: rotate(90deg);">▼</span></${wrap}>
        <div style="display: none;"><div class="gap"><div class="form">
          ${slider(`${id}_value`, 'Clip skip value')}
          ${auto ? checkbox(`${id}_auto`, 'Auto (per model)') : ''}
          <div id="${id}_model_status" class="block gradio-markdown${statusUnreadable ? ' clip-skip-status-unreadable' : ''}"><div class="prose"></div></div>
          ${hires ? checkbox(`${id}_hires`, 'Hires clip skip') + slider(`${id}_hires_value`, 'Hires clip skip value') : ''}
        </div></div></div>
      </div>`;
}

const FORGE_CLIP_SKIP_ID = 2415; // any id: Forge's top-bar slider has none of its own

/**
 * host: 'a1111' (gradio 3; Clip skip in Quicksettings unless quicksettingsClipSkip is false, then it is on
 * the Settings page) or 'forge' (gradio 4; the top bar of modules_forge/main_entry.py).
 */
function pageHtml({host, quicksettingsClipSkip = true, tabOptions = {}}) {
    const gradio = host === 'forge' || host === 'ersatzforge' ? 4 : 3;
    let quick;
    let settingsPage = '';
    if (host === 'ersatzforge') {
        // fca12a2 modules_forge/main_entry.py: gr.Number(label="Clip skip") in the top bar, no elem_id
        quick = `<div id="component-${FORGE_CLIP_SKIP_ID}" class="block gradio-number padded"><label class="block"><span data-testid="block-info">Clip skip</span>
            <input data-testid="number-input" type="number" min="1" max="12" step="1"></label></div>`;
    } else if (host === 'forge') {
        quick = `<div id="component-2408" class="block gradio-dropdown model_selection padded">
            <div class="container"><span data-testid="block-info">Checkpoint</span><div class="wrap"><div class="wrap-inner"><div class="secondary-wrap">
            <input role="listbox" aria-label="Checkpoint" class="border-none" autocomplete="off"></div></div></div></div></div>
          <div id="component-${FORGE_CLIP_SKIP_ID}" class="block gradio-slider padded"><div class="wrap"><div class="head"><label><span data-testid="block-info">Clip skip</span></label>
            <input data-testid="number-input" type="number" min="1" max="12" step="1"></div></div>
            <input type="range" min="1" max="12" step="1"></div>`;
    } else {
        const clipSkip = `<div id="setting_CLIP_stop_at_last_layers" class="block gradio-slider padded"><div class="wrap"><div class="head"><label><span data-testid="block-info">Clip skip</span></label>
            <input data-testid="number-input" type="number" min="1" max="12" step="1"></div></div>
            <input type="range" min="1" max="12" step="1"></div>`;
        quick = `<div id="setting_sd_model_checkpoint" class="block gradio-dropdown padded"><label class="container"><span data-testid="block-info">Stable Diffusion checkpoint</span>
            <div class="wrap"><div class="wrap-inner"><div class="secondary-wrap"><input class="border-none" autocomplete="off"></div></div></div></label></div>`;
        if (quicksettingsClipSkip) quick += clipSkip;
        else settingsPage = `<div id="tab_settings">${clipSkip}</div>`;
    }
    const tabs = ['txt2img', 'img2img'].map((tab) => `
      <div id="tab_${tab}">
        ${tab === 'txt2img' ? '<div id="txt2img_prompt"><textarea></textarea></div>' : ''}
        <button id="${tab}_interrupt" style="display: none;">Interrupt</button>
        <div id="${tab}_script_container">${tabMarkup(tab, gradio, tabOptions[tab])}</div>
        <div id="html_info_${tab}" class="block gradio-html infotext"><div class="prose"></div></div>
        <div id="html_log_${tab}" class="block gradio-html html-log"><div class="prose"></div></div>
      </div>`).join('');
    return `<!DOCTYPE html><html><head></head><body><gradio-app>
      <div id="quicksettings" class="gradio-row compact">${quick}</div>${tabs}${settingsPage}</gradio-app></body></html>`;
}

/**
 * javascript/localization.js's getTranslation (A1111 82a973c0, the same in every fork), which also notes each text
 * asked for in `original_lines` for Settings' "Download localization template".
 */
function addGetTranslation(w) {
    w.original_lines = {};
    w.translated_lines = {};
    w.getTranslation = (text) => {
        if (!text) return undefined;
        if (w.translated_lines[text] === undefined) w.original_lines[text] = 1;
        const tl = w.localization[text];
        if (tl !== undefined) w.translated_lines[tl] = 1;
        return tl;
    };
}

/**
 * A page with the script loaded. `responses`: what successive status requests get, each a JSON body,
 * an Error (network failure), or {status, body}. Requests past the list get the last one.
 * `localization`: the merged localization files (window.localization); `getTranslation` false: a page without it.
 */
function loadPage({host = 'a1111', quicksettingsClipSkip = true, tabOptions = {}, responses = [], localization = {}, getTranslation = true, opts = {}} = {}) {
    const dom = new JSDOM(pageHtml({host, quicksettingsClipSkip, tabOptions}), {url: 'http://127.0.0.1:7860/', runScripts: 'outside-only'});
    const w = dom.window;
    const doc = w.document;
    const page = {window: w, document: doc, requests: [], consoleCalls: []};

    // script.js
    const uiLoaded = [];
    const optionsChanged = [];
    w.gradioApp = () => doc;
    w.onUiLoaded = (cb) => uiLoaded.push(cb);
    w.onUiUpdate = () => {};
    w.onAfterUiUpdate = () => {};
    w.onOptionsChanged = (cb) => optionsChanged.push(cb);
    // javascript/ui.js: `opts` is parsed from settings_json; javascript/hints.js: `titles`
    w.opts = {};
    w.localization = localization;
    if (getTranslation) addGetTranslation(w);
    w.titles = {'Clip skip': HOST_CLIP_SKIP_HINT, Seed: 'A value that determines the output of random number generator'};
    w.gradio_config = {components: [
        {id: 141, type: 'slider', props: {label: 'Clip skip value', elem_id: 'script_txt2img_clip_skip_clip_skip_value'}},
        {id: 1632, type: 'slider', props: {label: 'Clip skip', elem_id: 'setting_CLIP_stop_at_last_layers'}},
        ...(host === 'forge' ? [{id: FORGE_CLIP_SKIP_ID, type: 'slider', props: {label: 'Clip skip'}}] : []),
        ...(host === 'ersatzforge' ? [{id: FORGE_CLIP_SKIP_ID, type: 'number', props: {label: 'Clip skip'}}] : []),
    ]};
    for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
        w.console[level] = (...args) => page.consoleCalls.push([level, ...args]);
    }
    let answered = 0;
    w.fetch = (url) => {
        page.requests.push(new URL(url, w.location.href));
        const answer = responses.length ? responses[Math.min(answered++, responses.length - 1)] : new Error('no server');
        if (answer instanceof Error) return Promise.reject(answer);
        const {status = 200, body = answer} = answer && answer.status ? answer : {};
        return Promise.resolve({ok: status < 400, status, json: () => (typeof body === 'string' ? Promise.reject(new SyntaxError('bad JSON')) : Promise.resolve(body))});
    };

    w.eval(SCRIPT);

    const id = accordionId;
    const q = (selector) => doc.querySelector(selector);
    Object.assign(page, {
        /** What the user sees in the header of a tab's accordion. */
        header: (tab = 'txt2img') => {
            const span = q(`#${id(tab)} .clip-skip-effective`);
            return span && !span.hidden ? span.textContent : '';
        },
        /** The WebUI puts an HTML string into a gr.HTML or gr.Markdown output (innerHTML, as gradio does). */
        serverWrites: (selector, html) => {
            q(selector).innerHTML = html;
        },
        notice: (tab = 'txt2img') => {
            const el = q(`#${id(tab)} .clip-skip-notice`);
            return el && !el.hidden ? el.textContent : null;
        },
        uiLoaded() {
            // the WebUI's own onUiLoaded callbacks run first; then ui.js reads opts (onAfterUiUpdate)
            uiLoaded.forEach((cb) => cb());
            page.setOpts(opts);
        },
        /** javascript/ui.js: settings_json changed (page load, Apply settings, a quicksetting). */
        setOpts(values) {
            w.opts = values;
            optionsChanged.forEach((cb) => cb());
        },
        /** The user clicks the visible checkbox; inputAccordion.js copies it to gradio's hidden checkbox. */
        clickEnabled(tab = 'txt2img') {
            const visible = q(`#${id(tab)}-visible-checkbox`);
            visible.click();
            const hidden = q(`#${id(tab)}-checkbox input`);
            hidden.checked = visible.checked;
            hidden.dispatchEvent(new w.Event('input', {bubbles: true})); // ui.js updateInput()
        },
        /** Gradio (Svelte) writes a value from the server (paste, "Send to", gr.update): no event. */
        gradioSets(selector, property, value) {
            q(selector)[property] = value;
        },
        /** The user types into a number input. */
        type(selector, value) {
            const input = q(selector);
            input.value = String(value);
            input.dispatchEvent(new w.Event('input', {bubbles: true}));
        },
        click: (selector) => q(selector).click(),
        q,
        wait: (ms = WAIT_MS) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    return page;
}

const SEL = {
    enabled: (tab = 'txt2img') => `#${accordionId(tab)}-checkbox input`,
    value: (tab = 'txt2img') => `#${accordionId(tab)}_value input[type=number]`,
    auto: (tab = 'txt2img') => `#${accordionId(tab)}_auto input[type=checkbox]`,
    quickClipSkip: '#quicksettings #setting_CLIP_stop_at_last_layers input[type=number]',
    settingsClipSkip: '#tab_settings #setting_CLIP_stop_at_last_layers input[type=number]',
    forgeClipSkip: `#component-${FORGE_CLIP_SKIP_ID} input[type=number]`,
    a1111Checkpoint: '#setting_sd_model_checkpoint input',
    forgeCheckpoint: '.model_selection input',
};

module.exports = {loadPage, SEL, HOST_CLIP_SKIP_HINT, accordionId};
