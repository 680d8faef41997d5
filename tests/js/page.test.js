// javascript/clip_skip.js in a page shaped like the WebUI's (tests/js/harness.js).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const {loadPage, SEL, HOST_CLIP_SKIP_HINT, accordionId} = require('./harness');

const AUTO_SAVED = {global: 2, auto: {value: 2, source: 'saved', text: '2 · saved for animeModelV3'}, checkpoint: 'animeModelV3', notices: {}};

/** A loaded page with the global Clip skip at `global` in the host's own place for it. */
async function ready(options = {}, global = 2) {
    const page = loadPage({opts: {CLIP_stop_at_last_layers: global}, ...options});
    if ((options.host || 'a1111') === 'forge') page.gradioSets(SEL.forgeClipSkip, 'value', String(global));
    else if (options.quicksettingsClipSkip !== false) page.gradioSets(SEL.quickClipSkip, 'value', String(global));
    page.uiLoaded();
    await page.wait();
    return page;
}

for (const host of ['a1111', 'forge']) {
    test(`${host}: the header shows the global value while off, in both tabs, next to the unchanged label`, async () => {
        const page = await ready({host}, 2);
        for (const tab of ['txt2img', 'img2img']) {
            assert.equal(page.header(tab), '2 (global)');
            const labelWrap = page.q(`#${accordionId(tab)} .label-wrap`);
            const [label, header] = labelWrap.children;
            // the label keeps its text (paste, "Send to", hints and localization go by it)
            assert.equal(label.textContent, 'Clip skip');
            assert.equal(label.firstElementChild.id, `${accordionId(tab)}-visible-checkbox`);
            assert.equal(header.className, 'clip-skip-effective');
        }
    });

    test(`${host}: ticking the accordion shows its value; the slider and a paste are followed`, async () => {
        const page = await ready({host}, 2);
        page.clickEnabled();
        assert.equal(page.header(), '1 (this generation)');
        assert.equal(page.header('img2img'), '2 (global)');
        page.type(SEL.value(), 3);
        assert.equal(page.header(), '3 (this generation)');
        page.gradioSets(SEL.value(), 'value', '7'); // pasted "Clip skip: 7"
        assert.equal(page.header(), '7 (this generation)');
        page.clickEnabled();
        assert.equal(page.header(), '2 (global)');
    });

    test(`${host}: a paste that ticks the accordion (no DOM event) is shown`, async () => {
        const page = await ready({host}, 1);
        page.gradioSets(SEL.value('img2img'), 'value', '4');
        page.gradioSets(SEL.enabled('img2img'), 'checked', true);
        assert.equal(page.header('img2img'), '4 (this generation)');
        assert.equal(page.header('txt2img'), '1 (global)');
    });

    test(`${host}: Auto shows the server's value and reason`, async () => {
        const page = await ready({host, responses: [AUTO_SAVED]}, 1);
        page.clickEnabled();
        page.click(SEL.auto());
        assert.equal(page.header(), '2 (auto · saved for animeModelV3)');
        assert.equal(page.header('img2img'), '1 (global)');
    });
}

test('a1111: follows the Quicksettings slider as it moves, and as the server sets it', async () => {
    const page = await ready({}, 2);
    page.type(SEL.quickClipSkip, 4);
    assert.equal(page.header('txt2img'), '4 (global)');
    assert.equal(page.header('img2img'), '4 (global)');
    page.gradioSets(SEL.quickClipSkip, 'value', '1');
    assert.equal(page.header(), '1 (global)');
    page.clickEnabled();
    page.type(SEL.quickClipSkip, 5);
    assert.equal(page.header(), '1 (this generation)', 'on: the global value does not matter');
    assert.equal(page.header('img2img'), '5 (global)');
});

test('a1111: the Settings page slider counts only once applied (onOptionsChanged)', async () => {
    const page = await ready({quicksettingsClipSkip: false}, 2);
    assert.equal(page.header(), '2 (global)');
    page.type(SEL.settingsClipSkip, 6);
    assert.equal(page.header(), '2 (global)', 'not applied yet');
    page.setOpts({CLIP_stop_at_last_layers: 6}); // Apply settings
    assert.equal(page.header(), '6 (global)');
    assert.equal(page.header('img2img'), '6 (global)');
});

test('forge: follows the top-bar slider, which Forge gives no elem_id; stale opts do not win', async () => {
    const page = await ready({host: 'forge'}, 2);
    page.type(SEL.forgeClipSkip, 3);
    assert.equal(page.header(), '3 (global)');
    page.gradioSets(SEL.forgeClipSkip, 'value', 1); // a preset switch sets it to 1
    assert.equal(page.header(), '1 (global)');
    page.setOpts({CLIP_stop_at_last_layers: 2}); // Forge does not refresh settings_json for it
    assert.equal(page.header(), '1 (global)');
});

test('ersatzforge: follows the top-bar number box', async () => {
    const page = loadPage({host: 'ersatzforge', opts: {CLIP_stop_at_last_layers: 2}});
    page.gradioSets(SEL.forgeClipSkip, 'value', '2');
    page.uiLoaded();
    await page.wait();
    assert.equal(page.header(), '2 (global)');
    page.type(SEL.forgeClipSkip, 4);
    assert.equal(page.header(), '4 (global)');
});

test('without a live slider, the global value comes from opts, then from the server', async () => {
    const page = await ready({quicksettingsClipSkip: false, responses: [{...AUTO_SAVED, global: 3}, {...AUTO_SAVED, global: 6}]}, 2);
    assert.equal(page.header(), '3 (global)', 'the server answered after opts');
    page.setOpts({CLIP_stop_at_last_layers: 5});
    assert.equal(page.header(), '5 (global)');
    await page.wait();
    assert.equal(page.requests.length, 2, 'options changed: asked again');
    assert.equal(page.header(), '6 (global)');
});

test('the status is asked once on load, with the checkpoint shown in the dropdown', async () => {
    const page = loadPage({responses: [AUTO_SAVED]});
    page.gradioSets(SEL.a1111Checkpoint, 'value', 'animeModelV3.safetensors [0123456789]');
    page.uiLoaded();
    await page.wait();
    assert.equal(page.requests.length, 1);
    assert.equal(page.requests[0].pathname, '/clip-skip/v1/status');
    assert.equal(page.requests[0].searchParams.get('checkpoint'), 'animeModelV3.safetensors [0123456789]');
});

test('Auto: the reason without the value in front, a fallback before any answer, and toggling asks again', async () => {
    const page = await ready({responses: [new Error('offline'), {...AUTO_SAVED, auto: {value: 3, source: 'metadata', text: 'from the model’s metadata'}}]}, 1);
    page.clickEnabled();
    page.click(SEL.auto());
    assert.equal(page.header(), '(auto)', 'no answer yet');
    await page.wait();
    assert.equal(page.requests.length, 2, 'toggling Auto asked again');
    assert.equal(page.header(), '3 (auto · from the model’s metadata)');
    page.click(SEL.auto());
    assert.equal(page.header(), '1 (this generation)');
});

test('a failed request keeps the last text and writes nothing to the console', async () => {
    const page = await ready({responses: [AUTO_SAVED, new Error('offline'), {status: 500, body: {}}, {status: 200, body: 'not json'}, {status: 200, body: null}]}, 2);
    page.clickEnabled();
    page.gradioSets(SEL.auto(), 'checked', true);
    assert.equal(page.header(), '2 (auto · saved for animeModelV3)');
    for (let i = 0; i < 4; i++) {
        page.setOpts({CLIP_stop_at_last_layers: 2});
        await page.wait();
        assert.equal(page.header(), '2 (auto · saved for animeModelV3)');
    }
    assert.equal(page.requests.length, 5);
    assert.deepEqual(page.consoleCalls, []);
});

test('an older answer arriving after a newer one is ignored', async () => {
    const page = loadPage({opts: {CLIP_stop_at_last_layers: 1}});
    const pending = [];
    page.window.fetch = () => new Promise((resolve) => pending.push((body) => resolve({ok: true, json: () => Promise.resolve(body)})));
    page.uiLoaded();
    await page.wait();
    page.clickEnabled();
    page.click(SEL.auto());
    await page.wait();
    assert.equal(pending.length, 2);
    pending[1]({...AUTO_SAVED, auto: {value: 4, text: 'saved for newModel'}});
    await page.wait(10);
    pending[0](AUTO_SAVED);
    await page.wait(10);
    assert.equal(page.header(), '4 (auto · saved for newModel)');
});

test('the notice for the value in effect shows under the header, per tab', async () => {
    const notices = {2: 'Forge treats Clip skip 1 and 2 alike on SDXL.'};
    const page = await ready({responses: [{...AUTO_SAVED, notices}, {...AUTO_SAVED, notices}]}, 2);
    for (const tab of ['txt2img', 'img2img']) {
        assert.equal(page.notice(tab), notices[2], 'the global value 2 has a notice');
        const notice = page.q(`#${accordionId(tab)} .clip-skip-notice`);
        assert.equal(notice.previousElementSibling.className, 'label-wrap');
    }
    page.clickEnabled();
    page.type(SEL.value(), 3);
    assert.equal(page.notice('txt2img'), null, 'this generation at 3 has none');
    assert.equal(page.notice('img2img'), notices[2], 'the other tab still uses the global 2');
    page.type(SEL.quickClipSkip, 4);
    assert.equal(page.notice('img2img'), null, 'the global value moved to 4');
});

for (const [host, selector] of [['a1111', SEL.a1111Checkpoint], ['forge', SEL.forgeCheckpoint]]) {
    test(`${host}: choosing a checkpoint asks again for it; typing to filter does not`, async () => {
        const page = loadPage({host, responses: [AUTO_SAVED]});
        page.gradioSets(selector, 'value', 'animeModelV3');
        page.uiLoaded();
        await page.wait();
        const input = page.q(selector);
        input.focus();
        page.type(selector, 'rea');
        await page.wait();
        assert.equal(page.requests.length, 1, 'typing');
        input.blur();
        page.gradioSets(selector, 'value', 'realisticModel'); // gradio shows the chosen option
        await page.wait();
        assert.equal(page.requests.length, 2);
        assert.equal(page.requests[1].searchParams.get('checkpoint'), 'realisticModel');
    });
}

test('a generation that ends asks again', async () => {
    const page = await ready({responses: [AUTO_SAVED]}, 2);
    const button = page.q('#img2img_interrupt');
    button.style.display = 'block'; // ui.js showSubmitButtons(tab, false)
    await page.wait();
    assert.equal(page.requests.length, 1, 'not while it runs');
    button.style.display = 'none';
    await page.wait();
    assert.equal(page.requests.length, 2);
});

test('our hints join hints.js titles; the WebUI\'s own "Clip skip" hint stays', async () => {
    const page = await ready({}, 1);
    const {titles} = page.window;
    for (const label of ['Clip skip value', 'Auto (per model)', 'Hires clip skip']) {
        assert.match(titles[label], /\S/, label);
    }
    assert.match(titles['Clip skip value'], /1 = all 12 CLIP layers \(the default\), 2 = skip the last layer/);
    assert.equal(titles['Clip skip'], HOST_CLIP_SKIP_HINT);
    assert.equal(titles.Seed, 'A value that determines the output of random number generator', 'others untouched');
});

test('inactive on a page without the accordion', async () => {
    const page = loadPage();
    for (const tab of ['txt2img', 'img2img']) page.q(`#${accordionId(tab)}`).remove();
    page.uiLoaded();
    await page.wait();
    assert.equal(page.requests.length, 0);
    assert.equal(page.document.querySelectorAll('.clip-skip-effective').length, 0);
    assert.deepEqual(page.consoleCalls, []);
});

test('works without the Auto checkbox (an older server side)', async () => {
    const page = await ready({tabOptions: {txt2img: {auto: false}}}, 2);
    page.clickEnabled();
    page.type(SEL.value(), 2);
    assert.equal(page.header(), '2 (this generation)');
});

test('--api-auth: a page marked unreadable never asks the status route, and the header still works', async () => {
    const page = await ready({tabOptions: {txt2img: {statusUnreadable: true}}, responses: [AUTO_SAVED]});
    assert.equal(page.header(), '2 (global)');
    page.clickEnabled();
    page.gradioSets(SEL.auto(), 'checked', true);
    page.setOpts({CLIP_stop_at_last_layers: 3});
    await page.wait();
    assert.equal(page.header(), '(auto)');
    assert.equal(page.requests.length, 0);
});

test('a 401 from the status route stops the asking', async () => {
    const page = await ready({responses: [{status: 401, body: {detail: 'Not authenticated'}}]});
    assert.equal(page.requests.length, 1);
    page.clickEnabled();
    page.gradioSets(SEL.auto(), 'checked', true);
    page.setOpts({CLIP_stop_at_last_layers: 3});
    await page.wait();
    assert.equal(page.requests.length, 1);
    assert.equal(page.header(), '(auto)');
    assert.deepEqual(page.consoleCalls, []);
});
